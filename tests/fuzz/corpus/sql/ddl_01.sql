CREATE TABLE items (
    id int PRIMARY KEY,
    sku varchar(20) NOT NULL UNIQUE,
    qty int NOT NULL DEFAULT 0 CHECK (qty >= 0),
    price numeric(8,2),
    created timestamp with time zone DEFAULT now()
) DISTRIBUTED BY (id);
