UPDATE acct SET owner = 'nobody' WHERE grp = 2;
