//! How a [`ChatRequest`] becomes a ChatML prompt, and how the oldest history is
//! dropped to make it fit the context window.
//!
//! Tools are not offered: a 135M-parameter model cannot follow a tool schema, so
//! `req.tools` is ignored and the model answers in text. Tool calls and results
//! already in the history are rendered as text so the model still sees what
//! happened. Images are refused: the local models read text only.

use filmroom_coach::{ChatRequest, Message, Part, ProviderError, Role};

use crate::tokenizer::{IM_END, IM_START, Tokenizer};

/// The system prompt SmolLM2's chat template inserts when a request has none.
pub const DEFAULT_SYSTEM: &str =
    "You are a helpful AI assistant named SmolLM, trained by Hugging Face";

/// The whole prompt as ChatML text, ending with the open assistant turn the model
/// completes. Nothing is truncated here; see [`crate::LocalModel::prompt_tokens`].
pub fn render_chatml(req: &ChatRequest) -> String {
    let mut out = turn("system", &system_text(req));
    for message in &req.messages {
        out.push_str(&turn(role_name(message.role), &message_text(message)));
    }
    out.push_str(IM_START);
    out.push_str("assistant\n");
    out
}

fn turn(role: &str, text: &str) -> String {
    format!("{IM_START}{role}\n{text}{IM_END}\n")
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::User => "user",
        Role::Assistant => "assistant",
    }
}

fn system_text(req: &ChatRequest) -> String {
    if req.system.is_empty() {
        return DEFAULT_SYSTEM.to_string();
    }
    req.system
        .iter()
        .map(|b| b.text.as_str())
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn message_text(message: &Message) -> String {
    message
        .parts
        .iter()
        .map(|part| match part {
            Part::Text(text) => text.clone(),
            // Refused before rendering (see `prompt_ids`); kept readable regardless.
            Part::Image { media_type, .. } => format!("[an image ({media_type})]"),
            Part::ToolCall {
                name,
                arguments_json,
                ..
            } => format!("[called tool {name} with {arguments_json}]"),
            Part::ToolResult {
                content, is_error, ..
            } => {
                if *is_error {
                    format!("[tool failed: {content}]")
                } else {
                    format!("[tool result: {content}]")
                }
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The token ids of one ChatML turn; the same ids [`Tokenizer::encode_chatml`] gives
/// for its rendered text, but markers inside `text` stay plain text.
fn turn_ids(tok: &Tokenizer, role: &str, text: &str) -> Result<Vec<u32>, ProviderError> {
    let mut ids = vec![tok.im_start()];
    ids.extend(tok.encode(&format!("{role}\n{text}"))?);
    ids.push(tok.im_end());
    ids.extend(tok.encode("\n")?);
    Ok(ids)
}

/// The prompt's token ids, keeping the system prompt and the newest messages that
/// fit in `budget` tokens. Whole messages are dropped, oldest first; the last
/// message is always kept, and if even that does not fit the request is refused.
pub(crate) fn prompt_ids(
    tok: &Tokenizer,
    req: &ChatRequest,
    budget: usize,
) -> Result<Vec<u32>, ProviderError> {
    let has_image = req
        .messages
        .iter()
        .flat_map(|m| &m.parts)
        .any(|p| matches!(p, Part::Image { .. }));
    if has_image {
        return Err(ProviderError::InvalidRequest(
            "the local model cannot see images".into(),
        ));
    }
    let mut head = turn_ids(tok, "system", &system_text(req))?;
    let mut tail = vec![tok.im_start()];
    tail.extend(tok.encode("assistant\n")?);

    let mut used = head.len() + tail.len();
    let mut kept: Vec<Vec<u32>> = Vec::new();
    for message in req.messages.iter().rev() {
        let ids = turn_ids(tok, role_name(message.role), &message_text(message))?;
        if used + ids.len() > budget {
            break;
        }
        used += ids.len();
        kept.push(ids);
    }
    if used > budget || (kept.is_empty() && !req.messages.is_empty()) {
        return Err(ProviderError::InvalidRequest(format!(
            "the system prompt and the last message do not fit in the {budget} tokens \
             the local model has for the prompt (context minus max_tokens)"
        )));
    }
    for ids in kept.into_iter().rev() {
        head.extend(ids);
    }
    head.extend(tail);
    Ok(head)
}
