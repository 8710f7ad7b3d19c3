//! The `osipy` command (see [`osipy_cli`] for the commands and exit codes).

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(osipy_cli::main(&args));
}
