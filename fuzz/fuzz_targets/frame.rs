//! Feeds arbitrary bytes to the frame decoders: they must never panic, and
//! whatever they accept must re-encode to the bytes they consumed.
#![no_main]

use iobound_workloads::proto;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = proto::frame_len(data);
    if let Ok(Some((req, used))) = proto::decode_request(data) {
        assert!(used <= data.len());
        let mut again = Vec::new();
        proto::encode_request(&mut again, &req);
        assert_eq!(again, &data[..used]);
    }
    if let Ok(Some((resp, used))) = proto::decode_response(data) {
        assert!(used <= data.len());
        let mut again = Vec::new();
        proto::encode_response(&mut again, resp.status, resp.body);
        assert_eq!(again, &data[..used]);
    }
});
