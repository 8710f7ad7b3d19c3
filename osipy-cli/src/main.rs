//! The `osipy` command (see [`osipy_cli`] for the commands and exit codes).

fn main() {
    // Arguments as the OS gives them: file names need not be UTF-8.
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    std::process::exit(osipy_cli::main(&args));
}
