"""One module per vendor dialect: its routes, its validation and its error shape."""
