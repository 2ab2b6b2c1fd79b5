SELECT ts + interval '1 day 2 hours', ts - interval '30 minutes', ts AT TIME ZONE 'UTC' FROM times WHERE id = 1;
