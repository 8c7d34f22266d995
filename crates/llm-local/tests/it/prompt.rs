use filmroom_coach::{ChatRequest, Message, Part, ProviderError, Role};
use filmroom_llm_local::{DEFAULT_SYSTEM, render_chatml};

use crate::{question, smollm2};

#[test]
fn a_request_renders_as_chatml_ending_with_an_open_assistant_turn() {
    let mut req = question("Why did I lose?", 10);
    req.system = vec![];
    req.messages.insert(0, Message::assistant("Hello."));
    req.messages.push(Message {
        role: Role::User,
        parts: vec![Part::ToolResult {
            tool_call_id: "t1".into(),
            content: "3 goals".into(),
            is_error: false,
        }],
    });
    assert_eq!(
        render_chatml(&req),
        format!(
            "<|im_start|>system\n{DEFAULT_SYSTEM}<|im_end|>\n\
             <|im_start|>assistant\nHello.<|im_end|>\n\
             <|im_start|>user\nWhy did I lose?<|im_end|>\n\
             <|im_start|>user\n[tool result: 3 goals]<|im_end|>\n\
             <|im_start|>assistant\n"
        )
    );
}

#[test]
fn the_oldest_history_is_dropped_to_leave_room_for_max_tokens() {
    let model = smollm2();
    let tok = model.tokenizer();
    let mut req = question("What now?", 0);
    let old: Vec<Message> = (0..40)
        .map(|i| Message::user(format!("Old message number {i} about boost pads.")))
        .collect();
    req.messages.splice(0..0, old);
    // Leave about 120 tokens for the prompt.
    req.max_tokens = u32::try_from(model.context_tokens() - 120).unwrap();

    let ids = model.prompt_tokens(&req).unwrap();
    assert!(ids.len() <= 120, "{} tokens", ids.len());
    let text = tok.decode(&ids);
    assert!(text.contains("What now?"), "{text}");
    assert!(text.contains("Old message number 39"), "{text}");
    assert!(!text.contains("Old message number 0 "), "{text}");
    assert!(text.starts_with("system\nYou are a helpful assistant."));
}

#[test]
fn a_last_message_too_long_for_the_context_is_refused() {
    let model = smollm2();
    let req = question(&"boost ".repeat(5000), 100);
    assert!(matches!(
        model.prompt_tokens(&req),
        Err(ProviderError::InvalidRequest(_))
    ));
}

#[test]
fn max_tokens_beyond_the_context_or_zero_is_refused() {
    let model = smollm2();
    for max in [0, u32::try_from(model.context_tokens()).unwrap() + 1] {
        let req: ChatRequest = question("Hi", max);
        assert!(matches!(
            model.prompt_tokens(&req),
            Err(ProviderError::InvalidRequest(_))
        ));
    }
}

#[test]
fn a_request_with_an_image_is_refused() {
    let model = smollm2();
    let mut req = question("What is in this picture?", 10);
    req.messages[0].parts.push(Part::Image {
        media_type: "image/png".into(),
        data_base64: "iVBORw0KGgo=".into(),
    });
    assert!(matches!(
        model.prompt_tokens(&req),
        Err(ProviderError::InvalidRequest(_))
    ));
}
