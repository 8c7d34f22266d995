//! Operations: `/health`, `/status`, `/metrics`, the OpenAPI document and the
//! static files ([`endpoints`]), and the request bookkeeping every answer
//! goes through: ids, spans, counts and the request timeout ([`metrics`]).

pub mod endpoints;
pub mod metrics;
