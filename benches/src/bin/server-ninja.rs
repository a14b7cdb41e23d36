//! Ninja through its public API: the same endpoints as async and as sync handlers
//! (`benches::ninja`).

use benches::{ninja, scenario};

fn main() -> std::io::Result<()> {
    let mut api = ninja::api();
    if let Some(n) = scenario::flag("--blocking-threads") {
        api = api.blocking_threads(n as usize);
    }
    if benches::stack_arg() {
        api = api.layer(benches::typical_stack!());
    }
    api.serve(scenario::addr_arg())
}
