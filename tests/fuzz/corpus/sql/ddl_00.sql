CREATE TABLE idx (id int PRIMARY KEY, a int, b text, c int);
