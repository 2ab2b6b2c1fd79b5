SELECT position('b' IN 'abc'), substring('abc' FROM 2 FOR 1), trim(LEADING 'x' FROM 'xxa'), overlay('abc' PLACING 'z' FROM 2 FOR 1);
