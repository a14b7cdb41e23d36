//! The shop's SQLite database: a small connection pool, migrations at start-up, and the
//! queries the handlers run (all sync: they run on Ninja's blocking pool).

use std::path::Path;
use std::time::Duration;

use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OptionalExtension, params};

use super::model::{Customer, NewProduct, Order, Product};
use shop_api::ShopError;

/// The driver's and the pool's errors as the shop's: written out, because `ShopError` lives
/// in the definitions crate (which compiles no driver), where `From` cannot be implemented
/// for them.
trait OrShop<T> {
    fn or_shop(self) -> Result<T, ShopError>;
}

impl<T> OrShop<T> for Result<T, rusqlite::Error> {
    fn or_shop(self) -> Result<T, ShopError> {
        self.map_err(|e| ShopError::Db(e.to_string()))
    }
}

impl<T> OrShop<T> for Result<T, r2d2::Error> {
    fn or_shop(self) -> Result<T, ShopError> {
        self.map_err(|e| ShopError::Busy(format!("no database connection: {e}")))
    }
}

/// The connection pool, registered as state and taken by handlers as `State<Db>`.
pub type Db = r2d2::Pool<SqliteConnectionManager>;

/// The schema, one step per version; `PRAGMA user_version` records how far a file is.
const MIGRATIONS: &[&str] = &[
    // 1: products, customers (with their API keys) and orders.
    "CREATE TABLE products (
         id INTEGER PRIMARY KEY,
         name TEXT NOT NULL UNIQUE,
         price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
         stock INTEGER NOT NULL CHECK (stock >= 0),
         weight_grams INTEGER NOT NULL CHECK (weight_grams > 0)
     );
     CREATE TABLE customers (
         id INTEGER PRIMARY KEY,
         name TEXT NOT NULL,
         api_key TEXT NOT NULL UNIQUE
     );
     CREATE TABLE orders (
         id INTEGER PRIMARY KEY,
         customer_id INTEGER NOT NULL REFERENCES customers (id),
         product_id INTEGER NOT NULL REFERENCES products (id),
         quantity INTEGER NOT NULL CHECK (quantity > 0),
         total_cents INTEGER NOT NULL
     );
     INSERT INTO products (name, price_cents, stock, weight_grams) VALUES
         ('Shuriken', 1250, 40, 120),
         ('Tabi socks', 900, 10, 80),
         ('Smoke bomb', 499, 3, 200);
     INSERT INTO customers (name, api_key) VALUES ('ada', 'ada-key'), ('bob', 'bob-key');",
];

/// Opens (creating it if needed) and migrates the database at `path`.
///
/// # Errors
/// When the file cannot be opened or a migration fails.
pub fn open(path: &Path) -> Result<Db, ShopError> {
    let manager = SqliteConnectionManager::file(path).with_init(|c| {
        c.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
        )
    });
    let pool = r2d2::Pool::builder()
        .max_size(8)
        .connection_timeout(Duration::from_secs(5))
        .build(manager)
        .or_shop()?;
    migrate(&mut *pool.get().or_shop()?)?;
    Ok(pool)
}

/// Applies the migrations this file has not seen yet, each in its own transaction.
fn migrate(conn: &mut Connection) -> Result<(), ShopError> {
    let done: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .or_shop()?;
    for (version, step) in (1_i64..)
        .zip(MIGRATIONS)
        .skip(usize::try_from(done).unwrap_or(0))
    {
        let tx = conn.transaction().or_shop()?;
        tx.execute_batch(step).or_shop()?;
        tx.pragma_update(None, "user_version", version).or_shop()?;
        tx.commit().or_shop()?;
        tracing::info!(version, "database migrated");
    }
    Ok(())
}

fn product(row: &rusqlite::Row<'_>) -> rusqlite::Result<Product> {
    Ok(Product {
        id: row.get(0)?,
        name: row.get(1)?,
        price_cents: row.get(2)?,
        stock: row.get(3)?,
        weight_grams: row.get(4)?,
    })
}

const PRODUCT: &str = "SELECT id, name, price_cents, stock, weight_grams FROM products";

/// A page of products by id, and how many there are.
pub fn products(db: &Db, limit: u32, offset: u64) -> Result<(Vec<Product>, u64), ShopError> {
    let conn = db.get().or_shop()?;
    let mut stmt = conn
        .prepare_cached(&format!("{PRODUCT} ORDER BY id LIMIT ?1 OFFSET ?2"))
        .or_shop()?;
    // SQLite's integers are i64; an offset past i64::MAX skips everything anyway.
    let offset = i64::try_from(offset).unwrap_or(i64::MAX);
    let items = stmt
        .query_map(params![limit, offset], product)
        .or_shop()?
        .collect::<Result<Vec<_>, _>>()
        .or_shop()?;
    let total: i64 = conn
        .query_row("SELECT count(*) FROM products", [], |r| r.get(0))
        .or_shop()?;
    Ok((items, total.unsigned_abs()))
}

/// One product.
pub fn product_by_id(db: &Db, id: i64) -> Result<Product, ShopError> {
    db.get()
        .or_shop()?
        .query_row(&format!("{PRODUCT} WHERE id = ?1"), [id], product)
        .optional()
        .or_shop()?
        .ok_or(ShopError::ProductNotFound(id))
}

/// Adds a product; a name already taken is a conflict.
pub fn insert_product(db: &Db, new: &NewProduct) -> Result<Product, ShopError> {
    let conn = db.get().or_shop()?;
    let inserted = conn.execute(
        "INSERT INTO products (name, price_cents, stock, weight_grams) VALUES (?1, ?2, ?3, ?4)",
        params![new.name, new.price_cents, new.stock, new.weight_grams],
    );
    match inserted {
        Ok(_) => product_by_id(db, conn.last_insert_rowid()),
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            Err(ShopError::DuplicateName(new.name.clone()))
        }
        Err(e) => Err(ShopError::Db(e.to_string())),
    }
}

/// The customer holding `api_key`, if any.
pub fn customer_by_key(db: &Db, api_key: &str) -> Result<Option<Customer>, ShopError> {
    db.get()
        .or_shop()?
        .query_row(
            "SELECT id, name FROM customers WHERE api_key = ?1",
            [api_key],
            |r| {
                Ok(Customer {
                    id: r.get(0)?,
                    name: r.get(1)?,
                })
            },
        )
        .optional()
        .or_shop()
}

/// Places an order: takes the stock and records the order in one transaction, so both
/// rows change or neither does.
pub fn place_order(
    db: &Db,
    customer: &Customer,
    product_id: i64,
    quantity: u32,
) -> Result<Order, ShopError> {
    let mut conn = db.get().or_shop()?;
    // IMMEDIATE: take the write lock before reading the stock, so two orders cannot both
    // see the last item.
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .or_shop()?;
    let (stock, price): (u32, i64) = tx
        .query_row(
            "SELECT stock, price_cents FROM products WHERE id = ?1",
            [product_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .or_shop()?
        .ok_or(ShopError::ProductNotFound(product_id))?;
    if stock < quantity {
        return Err(ShopError::OutOfStock {
            product: product_id,
            available: stock,
        });
    }
    tx.execute(
        "UPDATE products SET stock = stock - ?1 WHERE id = ?2",
        params![quantity, product_id],
    )
    .or_shop()?;
    let total_cents = price * i64::from(quantity);
    tx.execute(
        "INSERT INTO orders (customer_id, product_id, quantity, total_cents) VALUES (?1, ?2, ?3, ?4)",
        params![customer.id, product_id, quantity, total_cents],
    ).or_shop()?;
    let id = tx.last_insert_rowid();
    tx.commit().or_shop()?;
    Ok(Order {
        id,
        product_id,
        quantity,
        total_cents,
    })
}

fn order(row: &rusqlite::Row<'_>) -> rusqlite::Result<Order> {
    Ok(Order {
        id: row.get(0)?,
        product_id: row.get(1)?,
        quantity: row.get(2)?,
        total_cents: row.get(3)?,
    })
}

/// The customer's own orders, newest first.
pub fn orders_of(db: &Db, customer: &Customer) -> Result<Vec<Order>, ShopError> {
    let conn = db.get().or_shop()?;
    let mut stmt = conn.prepare_cached(
        "SELECT id, product_id, quantity, total_cents FROM orders WHERE customer_id = ?1 ORDER BY id DESC",
    ).or_shop()?;
    stmt.query_map([customer.id], order)
        .or_shop()?
        .collect::<Result<Vec<_>, _>>()
        .or_shop()
}

/// One of the customer's orders; someone else's is as absent as a missing one.
pub fn order_of(db: &Db, customer: &Customer, id: i64) -> Result<Order, ShopError> {
    db.get().or_shop()?
        .query_row(
            "SELECT id, product_id, quantity, total_cents FROM orders WHERE id = ?1 AND customer_id = ?2",
            params![id, customer.id],
            order,
        )
        .optional().or_shop()?
        .ok_or(ShopError::OrderNotFound(id))
}
