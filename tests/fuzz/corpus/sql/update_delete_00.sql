UPDATE stock SET qty = qty / (qty - qty) WHERE id = 999;
