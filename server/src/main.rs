fn main() {
    println!("prefect-dev-server: not yet");
}
