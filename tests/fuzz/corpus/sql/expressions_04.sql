SELECT x BETWEEN SYMMETRIC 1 AND 2, s ILIKE 'a%' ESCAPE '!', s SIMILAR TO 'a|b', a IS DISTINCT FROM b, arr[1:2], j->>'k', j #> '{a,b}';
