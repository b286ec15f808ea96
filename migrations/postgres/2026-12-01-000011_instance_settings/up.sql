-- Facts about the instance fixed at its first start, such as the base URL its ids are built on.
CREATE TABLE instance_settings (
    name TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
