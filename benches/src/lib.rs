//! Load-test servers and tools live here (see the benches issue); for now this package only
//! checks that the example API builds from another crate.
