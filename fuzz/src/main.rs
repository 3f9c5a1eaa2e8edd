//! `sluice-afl TARGET` (`--list` names them): one of the gateway's fuzz targets (`sluice_gateway::fuzz::TARGETS`)
//! under AFL++, which evolves the bytes it is fed by the coverage they reach.

fn main() {
    let target = std::env::args().nth(1).unwrap_or_default();
    if target == "--list" {
        sluice_gateway::fuzz::TARGETS.iter().for_each(|t| println!("{t}"));
        return;
    }
    if !sluice_gateway::fuzz::TARGETS.contains(&target.as_str()) {
        eprintln!("usage: sluice-afl TARGET, one of {:?}", sluice_gateway::fuzz::TARGETS);
        std::process::exit(2);
    }
    afl::fuzz!(|data: &[u8]| sluice_gateway::fuzz::from_bytes(&target, data));
}
