-- Transactions: BEGIN/COMMIT/ROLLBACK (and their spellings), reading one's own writes, atomic
-- rollback, the failed-transaction state (25P02; COMMIT answers ROLLBACK), warnings-only misuse
-- (COMMIT outside a transaction), savepoints, and what a second session sees.
-- Rows that one transaction touches share `grp`, the Cairn distribution key, so each transaction
-- stays in one replicaset (Cairn refuses a second one inside a transaction: docs/sql.md).

CREATE TABLE acct (
    grp int NOT NULL,
    id int NOT NULL,
    owner text NOT NULL,
    balance numeric(10,2) NOT NULL CHECK (balance >= 0),
    PRIMARY KEY (grp, id)
); -- cairn: DISTRIBUTED BY (grp)
INSERT INTO acct VALUES (1, 1, 'ann', 100.00), (1, 2, 'bob', 50.00), (2, 1, 'cid', 10.00), (2, 2, 'dee', 0.00);

BEGIN;
UPDATE acct SET balance = balance - 30 WHERE grp = 1 AND id = 1;
UPDATE acct SET balance = balance + 30 WHERE grp = 1 AND id = 2;
SELECT id, balance FROM acct WHERE grp = 1 ORDER BY id;
-- session other
SELECT id, balance FROM acct WHERE grp = 1 ORDER BY id;
COMMIT;
-- session other
SELECT id, balance FROM acct WHERE grp = 1 ORDER BY id;
SELECT sum(balance) FROM acct WHERE grp = 1;

BEGIN;
DELETE FROM acct WHERE grp = 2 AND id = 2;
INSERT INTO acct VALUES (2, 3, 'eve', 5.00);
SELECT id, owner FROM acct WHERE grp = 2 ORDER BY id;
ROLLBACK;
SELECT id, owner, balance FROM acct WHERE grp = 2 ORDER BY id;

START TRANSACTION;
INSERT INTO acct VALUES (2, 4, 'fay', 1.00) RETURNING owner;
UPDATE acct SET balance = balance * 2 WHERE grp = 2 RETURNING id, balance;
END;
SELECT id, balance FROM acct WHERE grp = 2 ORDER BY id;
BEGIN WORK;
UPDATE acct SET owner = upper(owner) WHERE grp = 2;
COMMIT WORK;
BEGIN TRANSACTION;
UPDATE acct SET owner = 'nobody' WHERE grp = 2;
ABORT;
SELECT id, owner FROM acct WHERE grp = 2 ORDER BY id;

BEGIN;
UPDATE acct SET balance = balance - 1000 WHERE grp = 1 AND id = 1; -- error 23514
SELECT 1; -- error 25P02
UPDATE acct SET balance = 0 WHERE grp = 1; -- error 25P02
COMMIT;
SELECT id, balance FROM acct WHERE grp = 1 ORDER BY id;

BEGIN;
INSERT INTO acct VALUES (1, 3, 'gus', 1.00);
INSERT INTO acct VALUES (1, 1, 'dup', 1.00); -- error 23505
INSERT INTO acct VALUES (1, 4, 'hal', 1.00); -- error 25P02
ROLLBACK;
SELECT count(*) FROM acct WHERE grp = 1;

BEGIN;
SELECT 1 / 0; -- error 22012
ROLLBACK;
BEGIN;
SELEC 1; -- error 42601
SELECT 1; -- error 25P02
ROLLBACK;
BEGIN;
SELECT * FROM nosuch; -- error 42P01
END;
SELECT 'after failed END' AS ok;

COMMIT;
ROLLBACK;
BEGIN;
BEGIN;
SELECT count(*) FROM acct;
COMMIT;
COMMIT;

BEGIN;
UPDATE acct SET balance = balance + 1 WHERE grp = 1 AND id = 1;
SAVEPOINT s1;
UPDATE acct SET balance = balance + 100 WHERE grp = 1 AND id = 1;
SELECT balance FROM acct WHERE grp = 1 AND id = 1;
ROLLBACK TO SAVEPOINT s1;
SELECT balance FROM acct WHERE grp = 1 AND id = 1;
SAVEPOINT s2;
INSERT INTO acct VALUES (1, 2, 'dup', 0); -- error 23505
ROLLBACK TO s2;
SELECT balance FROM acct WHERE grp = 1 AND id = 1;
RELEASE SAVEPOINT s2;
RELEASE SAVEPOINT nope; -- error 3B001
SELECT 1; -- error 25P02
ROLLBACK;
SELECT balance FROM acct WHERE grp = 1 AND id = 1;
BEGIN;
UPDATE acct SET balance = balance + 1 WHERE grp = 1 AND id = 1;
SAVEPOINT s1;
UPDATE acct SET balance = balance + 1 WHERE grp = 1 AND id = 1;
RELEASE SAVEPOINT s1;
COMMIT;
SELECT balance FROM acct WHERE grp = 1 AND id = 1;
ROLLBACK TO SAVEPOINT nope; -- error 25P01

BEGIN;
CREATE TABLE txn_made (id int PRIMARY KEY);
INSERT INTO txn_made VALUES (1);
SELECT * FROM txn_made;
ROLLBACK;
SELECT * FROM txn_made; -- error 42P01
BEGIN;
CREATE TABLE txn_made (id int PRIMARY KEY);
INSERT INTO txn_made VALUES (1), (2);
COMMIT;
SELECT count(*) FROM txn_made;
BEGIN;
DROP TABLE txn_made;
ROLLBACK;
SELECT count(*) FROM txn_made;

BEGIN;
SELECT sum(balance) FROM acct WHERE grp = 1;
-- session other
UPDATE acct SET balance = balance + 5 WHERE grp = 1 AND id = 2;
-- cairn-differs: Cairn transactions are serializable (docs/sql.md); PostgreSQL's default READ COMMITTED shows the other session's commit here
SELECT sum(balance) FROM acct WHERE grp = 1;
-- cairn-differs: Cairn aborts a transaction whose reads changed under it with 40001; READ COMMITTED commits
COMMIT;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT sum(balance) FROM acct WHERE grp = 1;
-- session other
UPDATE acct SET balance = balance + 5 WHERE grp = 1 AND id = 2;
SELECT sum(balance) FROM acct WHERE grp = 1;
-- cairn-differs: Cairn aborts a transaction whose reads changed under it with 40001; a read-only REPEATABLE READ transaction commits
COMMIT;
SELECT sum(balance) FROM acct WHERE grp = 1;

-- READ COMMITTED: each statement sees what is committed when it runs, another session's
-- commit included; reads span every replicaset, before the block writes and after.
BEGIN ISOLATION LEVEL READ COMMITTED;
SHOW transaction_isolation;
SELECT grp, sum(balance) FROM acct GROUP BY grp ORDER BY grp;
-- session other
UPDATE acct SET balance = balance + 2 WHERE grp = 2 AND id = 1;
SELECT grp, sum(balance) FROM acct GROUP BY grp ORDER BY grp;
UPDATE acct SET balance = balance - 1 WHERE grp = 1 AND id = 2;
SELECT balance FROM acct WHERE grp = 1 AND id = 2;
SELECT balance FROM acct WHERE grp = 2 AND id = 1;
COMMIT;
SELECT grp, id, balance FROM acct ORDER BY grp, id;
BEGIN READ ONLY;
SELECT count(*) FROM acct;
UPDATE acct SET balance = 0; -- error 25006
ROLLBACK;
SET default_transaction_isolation = 'read committed';
SHOW default_transaction_isolation;
SET default_transaction_isolation = 'never'; -- error 22023
RESET default_transaction_isolation;
-- cairn-differs: Cairn's default level is SERIALIZABLE (docs/sql.md); PostgreSQL's is READ COMMITTED
SHOW default_transaction_isolation;

BEGIN;
UPDATE acct SET balance = balance + 1 WHERE grp = 1 AND id = 1;
-- cairn-sharded-differs: a transaction touching a second replicaset is refused with 0A000 (docs/sql.md)
UPDATE acct SET balance = balance + 1 WHERE grp = 2 AND id = 1;
-- cairn-sharded-differs: the transaction failed above on a sharded Cairn
COMMIT;
-- cairn-sharded-differs: the transaction failed above on a sharded Cairn
SELECT grp, id, balance FROM acct ORDER BY grp, id;
