//! The `sqlcoder` command line: everything lives in the library (`sqlcoder::app`).

fn main() {
    std::process::exit(sqlcoder::app::cli::main());
}
