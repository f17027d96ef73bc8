from __future__ import annotations

from schemas.vendors.urls import hostname, path_of, query_params, strip_url


def test_hostname_accepts_only_absolute_http_urls() -> None:
    assert hostname("https://WWW.Example.com:8443/x") == "www.example.com"
    for bad in ("/x", "ftp://example.com/", "https://", "https://example.com:99999/", "http://[::1", "x:"):
        assert hostname(bad) is None, bad


def test_strip_keeps_only_campaign_parameters() -> None:
    url = "https://u:p@Example.com/a?utm_source=n&token=s3cret&ref=hn&utm_content=&x=1#frag"
    assert strip_url(url) == "https://example.com/a?utm_source=n&ref=hn"
    assert strip_url("https://example.com") == "https://example.com/"
    assert strip_url(strip_url(url)) == strip_url(url)  # stripping twice changes nothing


def test_params_and_path() -> None:
    assert query_params("https://e.com/p?utm_source=a&utm_source=b&hk_qr=q") == {
        "utm_source": "a",
        "hk_qr": "q",
    }
    assert path_of("https://e.com") == "/" and path_of("https://e.com/a/b?c") == "/a/b"
    assert query_params("not a url") == {} and path_of("not a url") == "/"
