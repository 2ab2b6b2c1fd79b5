/* block /* nested */ comment */ SELECT 1 -- line
; ; SELECT "quoted ""ident""" FROM "T" AS "t" WHERE "t"."x" = $1::text COLLATE "C";
