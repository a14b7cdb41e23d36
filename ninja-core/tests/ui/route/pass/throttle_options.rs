use ninja_core::prelude::*;

#[get("/one", throttle = Throttle::per_ip("10/s"))]
fn one() -> &'static str {
    "1"
}

#[get("/many", throttle = [Throttle::per_ip("10/s"), Throttle::global(["100/s", "1000/h"])])]
async fn many() -> &'static str {
    "2"
}

#[get("/none", throttle = none, auth = none)]
fn unthrottled() -> &'static str {
    "3"
}

fn main() {
    NinjaApi::new("t", "1")
        .throttle(Throttle::per_ip("1/s"))
        .routes(routes![one, many, unthrottled])
        .build()
        .unwrap();
}
