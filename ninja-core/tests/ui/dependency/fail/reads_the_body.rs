use ninja_core::prelude::*;

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Login {
    user: String,
}

#[dependency]
async fn current_user(login: Json<Login>) -> Result<String, Problem> {
    Ok(login.0.user)
}

fn main() {}
