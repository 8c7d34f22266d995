//! Prices and the exact cost of a call, in integer micro-dollars.

use std::collections::BTreeMap;

use crate::Usage;

/// An amount of money in millionths of a US dollar.
pub type Micros = u64;

/// One model's prices, in micro-dollars per million tokens (so $3.00 per million
/// input tokens is `input: 3_000_000`). Integers, because budgets must add up exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    pub input: u64,
    pub output: u64,
    pub cache_read: u64,
    pub cache_write: u64,
}

impl Price {
    /// The most a call can cost: every prompt token at the dearest input rate
    /// (a cache write costs more than plain input) and `max_tokens` of output. This
    /// is what a call reserves against the budget before it starts.
    pub fn max_cost(&self, prompt_tokens: u64, max_tokens: u32) -> Micros {
        let dearest_input = self.input.max(self.cache_write).max(self.cache_read);
        let worst = Price {
            input: dearest_input,
            ..*self
        };
        cost(
            &Usage {
                input_tokens: prompt_tokens,
                output_tokens: u64::from(max_tokens),
                ..Usage::default()
            },
            &worst,
        )
    }
}

/// Prices by model name, as the config gives them.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(transparent)]
pub struct PriceTable(pub BTreeMap<String, Price>);

impl PriceTable {
    pub fn get(&self, model: &str) -> Option<&Price> {
        self.0.get(model)
    }
}

/// The cost of `usage` at `price`, in micro-dollars, rounded up once over the whole
/// sum: a call is never billed less than it cost, and splitting a call's tokens
/// across fields never changes the total by more than one micro-dollar. Saturates at
/// `u64::MAX` instead of wrapping.
pub fn cost(usage: &Usage, price: &Price) -> Micros {
    let term = |tokens: u64, per_million: u64| u128::from(tokens) * u128::from(per_million);
    let numerator = term(usage.input_tokens, price.input)
        .saturating_add(term(usage.output_tokens, price.output))
        .saturating_add(term(usage.cache_read_tokens, price.cache_read))
        .saturating_add(term(usage.cache_write_tokens, price.cache_write));
    u64::try_from(numerator.div_ceil(1_000_000)).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Claude Sonnet 4's list prices: $3 input, $15 output, $0.30 cache read,
    // $3.75 cache write (5-minute) per million tokens.
    const SONNET: Price = Price {
        input: 3_000_000,
        output: 15_000_000,
        cache_read: 300_000,
        cache_write: 3_750_000,
    };

    #[test]
    fn a_million_of_each_token_costs_the_sum_of_the_prices() {
        let usage = Usage {
            input_tokens: 1_000_000,
            output_tokens: 1_000_000,
            cache_read_tokens: 1_000_000,
            cache_write_tokens: 1_000_000,
        };
        assert_eq!(cost(&usage, &SONNET), 22_050_000);
    }

    #[test]
    fn cached_tokens_are_priced_at_the_cache_rates() {
        let usage = Usage {
            input_tokens: 10,
            output_tokens: 200,
            cache_read_tokens: 2_000,
            cache_write_tokens: 1_000,
        };
        // 10*3 + 200*15 + 2000*0.3 + 1000*3.75 = 30 + 3000 + 600 + 3750
        assert_eq!(cost(&usage, &SONNET), 7_380);
    }

    #[test]
    fn fractions_of_a_micro_dollar_round_up_once_over_the_sum() {
        let usage = Usage {
            input_tokens: 1,
            cache_read_tokens: 1,
            ..Usage::default()
        };
        // 3 + 0.3 = 3.3 micro-dollars, billed 4; never 0 for a call that used tokens.
        assert_eq!(cost(&usage, &SONNET), 4);
        assert_eq!(cost(&Usage::default(), &SONNET), 0);
    }

    #[test]
    fn the_maximum_cost_bounds_every_split_of_the_prompt_between_input_and_cache() {
        let max = SONNET.max_cost(1_000, 500);
        // 1000 tokens at the cache-write rate (3.75) + 500 at 15.
        assert_eq!(max, 11_250);
        for cached in [0, 1, 500, 999, 1_000] {
            for written in [0, 1_000 - cached] {
                let usage = Usage {
                    input_tokens: 1_000 - cached - written,
                    cache_read_tokens: cached,
                    cache_write_tokens: written,
                    output_tokens: 500,
                };
                assert!(cost(&usage, &SONNET) <= max, "{usage:?}");
            }
        }
    }

    #[test]
    fn absurd_usage_saturates_instead_of_wrapping() {
        let usage = Usage {
            input_tokens: u64::MAX,
            output_tokens: u64::MAX,
            cache_read_tokens: u64::MAX,
            cache_write_tokens: u64::MAX,
        };
        let price = Price {
            input: u64::MAX,
            output: u64::MAX,
            cache_read: u64::MAX,
            cache_write: u64::MAX,
        };
        assert_eq!(cost(&usage, &price), u64::MAX);
    }
}
