-- An event may identify no visitor: a relaying backend that forwards no visitor IP (Simple
-- Analytics, ZTA and Swetrix server-side calls without one, Supalytics events without
-- visitor_id). Such an event is stored with an empty visitor_key instead of being refused.
ALTER TABLE events DROP CONSTRAINT IF EXISTS has_visitor;
