use filmroom_llm_local::{IM_END, IM_START};

use crate::smollm2;

#[test]
fn the_tokenizer_round_trips_text_including_multi_byte_utf8() {
    let tok = smollm2().tokenizer();
    for text in [
        "café ⚽ 日本",
        "Rotate back post, then challenge. 1234 boost!",
        "  two spaces\nand a newline\t",
        "",
    ] {
        let ids = tok.encode(text).unwrap();
        assert_eq!(tok.decode(&ids), text);
    }
    // Byte-level BPE: the emoji and the CJK take several byte tokens or merges.
    assert!(tok.encode("café ⚽ 日本").unwrap().len() >= 4);
}

#[test]
fn chatml_markers_are_single_tokens_only_in_the_rendered_prompt() {
    let tok = smollm2().tokenizer();
    let ids = tok
        .encode_chatml(&format!("{IM_START}user\nhi{IM_END}\n"))
        .unwrap();
    assert_eq!(ids.first(), Some(&tok.im_start()));
    assert!(ids.contains(&tok.im_end()));
    assert_eq!(tok.decode(&ids), "user\nhi\n");

    // Text that merely spells a marker stays text: users cannot open a turn.
    let spelled = tok.encode(IM_START).unwrap();
    assert!(!spelled.contains(&tok.im_start()));
    assert_eq!(tok.decode(&spelled), IM_START);
}

#[test]
fn digits_are_split_one_token_each_like_smollm2s_own_tokenizer() {
    let tok = smollm2().tokenizer();
    assert_eq!(tok.encode("2024").unwrap().len(), 4);
}
