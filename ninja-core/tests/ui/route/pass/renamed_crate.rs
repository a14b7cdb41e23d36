// A crate that depends on ninja-core under another name says where it is.
extern crate ninja_core as my_ninja;

use my_ninja::get;

#[get("/hello", crate = "my_ninja")]
async fn hello(name: Option<String>) -> String {
    name.unwrap_or_default()
}

fn main() {
    let _ = my_ninja::NinjaApi::new("t", "1").routes(my_ninja::routes![hello]);
}
