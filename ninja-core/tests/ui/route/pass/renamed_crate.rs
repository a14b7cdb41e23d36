// A crate that depends on ninja-core under another name says where it is.
extern crate ninja_core as my_ninja;

use my_ninja::{ApiError, get};

#[derive(Debug, ApiError)]
#[api(crate = "my_ninja")]
enum HelloError {
    /// Nobody to greet.
    #[api(status = 404)]
    Nobody,
}

impl std::fmt::Display for HelloError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("nobody to greet")
    }
}

#[get("/hello", crate = "my_ninja")]
async fn hello(name: Option<String>) -> Result<String, HelloError> {
    name.ok_or(HelloError::Nobody)
}

fn main() {
    let _ = my_ninja::NinjaApi::new("t", "1").routes(my_ninja::routes![hello]);
}
