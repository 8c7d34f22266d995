//! The fields of a stat record, by name and in declaration order, including
//! the `Option` fields serde skips when they are `None`. Serde's derive tells
//! a serializer about skipped fields through `SerializeStruct::skip_field`;
//! this module listens to both calls, so the CLI's CSV columns and Markdown
//! rows and the neutral metrics (`family.field`) follow the engine's types
//! with no list to keep in sync.

use std::fmt;

use crate::stats::types::{
    BallStats, BoostStats, CoreStats, DemoStats, MovementStats, PlayerStats, PositioningStats,
    TeamStats,
};
use serde::Serialize;
use serde::ser::{self, Impossible, SerializeStruct};
use serde_json::Value;

/// A stat family of [`PlayerStats`] and [`TeamStats`], in the order reports show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Core,
    Boost,
    Movement,
    Positioning,
    Demo,
    /// Team-only: possession and time the ball spent in the team's half.
    Ball,
}

impl Family {
    /// The families a player has.
    pub const PLAYER: [Family; 5] = [
        Family::Core,
        Family::Boost,
        Family::Movement,
        Family::Positioning,
        Family::Demo,
    ];

    /// The families a team has.
    pub const TEAM: [Family; 6] = [
        Family::Core,
        Family::Boost,
        Family::Movement,
        Family::Positioning,
        Family::Demo,
        Family::Ball,
    ];

    /// The name ballchasing (and our CSV prefix) uses.
    pub fn name(self) -> &'static str {
        match self {
            Family::Core => "core",
            Family::Boost => "boost",
            Family::Movement => "movement",
            Family::Positioning => "positioning",
            Family::Demo => "demo",
            Family::Ball => "ball",
        }
    }

    /// Every field name of the family, whether or not a value has it set.
    pub fn columns(self) -> Vec<&'static str> {
        let fields = match self {
            Family::Core => fields(&CoreStats::default()),
            Family::Boost => fields(&BoostStats::default()),
            Family::Movement => fields(&MovementStats::default()),
            Family::Positioning => fields(&PositioningStats::default()),
            Family::Demo => fields(&DemoStats::default()),
            Family::Ball => fields(&BallStats::default()),
        };
        fields.into_iter().map(|(name, _)| name).collect()
    }

    /// The family's values for one player; `None` when the engine could not
    /// compute the family (a header-only analysis, say). Unset fields are `Null`.
    pub fn values(self, stats: &PlayerStats) -> Option<Vec<(&'static str, Value)>> {
        match self {
            Family::Core => Some(fields(&stats.core)),
            Family::Boost => stats.boost.as_ref().map(fields),
            Family::Movement => stats.movement.as_ref().map(fields),
            Family::Positioning => stats.positioning.as_ref().map(fields),
            Family::Demo => stats.demo.as_ref().map(fields),
            Family::Ball => None,
        }
    }

    /// The family's values for one team, like [`Family::values`].
    pub fn team_values(self, stats: &TeamStats) -> Option<Vec<(&'static str, Value)>> {
        match self {
            Family::Core => Some(fields(&stats.core)),
            Family::Boost => stats.boost.as_ref().map(fields),
            Family::Movement => stats.movement.as_ref().map(fields),
            Family::Positioning => stats.positioning.as_ref().map(fields),
            Family::Demo => stats.demo.as_ref().map(fields),
            Family::Ball => stats.ball.as_ref().map(fields),
        }
    }
}

/// The value of `name` in a list from [`Family::values`], `Null` if absent.
pub fn lookup<'a>(values: &'a [(&'static str, Value)], name: &str) -> &'a Value {
    values
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(&Value::Null, |(_, v)| v)
}

/// The top-level fields of a struct, `Null` for skipped ones. Anything that
/// is not a struct yields no fields (the stat types are all structs).
pub fn fields<T: Serialize>(value: &T) -> Vec<(&'static str, Value)> {
    value.serialize(FieldsSerializer).unwrap_or_default()
}

#[derive(Debug)]
struct NotAStruct(String);

impl fmt::Display for NotAStruct {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NotAStruct {}

impl ser::Error for NotAStruct {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        NotAStruct(msg.to_string())
    }
}

type Fields = Vec<(&'static str, Value)>;

struct FieldsSerializer;

struct Collect(Fields);

impl SerializeStruct for Collect {
    type Ok = Fields;
    type Error = NotAStruct;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), NotAStruct> {
        let value = serde_json::to_value(value).map_err(ser::Error::custom)?;
        self.0.push((key, value));
        Ok(())
    }

    fn skip_field(&mut self, key: &'static str) -> Result<(), NotAStruct> {
        self.0.push((key, Value::Null));
        Ok(())
    }

    fn end(self) -> Result<Fields, NotAStruct> {
        Ok(self.0)
    }
}

fn not_a_struct<T>() -> Result<T, NotAStruct> {
    Err(NotAStruct("expected a struct".to_owned()))
}

macro_rules! reject {
    ($($method:ident($($arg:ty),*) -> $ret:ty;)*) => {
        $(fn $method(self, $(_: $arg),*) -> Result<$ret, NotAStruct> { not_a_struct() })*
    };
}

impl ser::Serializer for FieldsSerializer {
    type Ok = Fields;
    type Error = NotAStruct;
    type SerializeSeq = Impossible<Fields, NotAStruct>;
    type SerializeTuple = Impossible<Fields, NotAStruct>;
    type SerializeTupleStruct = Impossible<Fields, NotAStruct>;
    type SerializeTupleVariant = Impossible<Fields, NotAStruct>;
    type SerializeMap = Impossible<Fields, NotAStruct>;
    type SerializeStruct = Collect;
    type SerializeStructVariant = Impossible<Fields, NotAStruct>;

    fn serialize_struct(self, _: &'static str, len: usize) -> Result<Collect, NotAStruct> {
        Ok(Collect(Vec::with_capacity(len)))
    }

    reject! {
        serialize_bool(bool) -> Fields;
        serialize_i8(i8) -> Fields;
        serialize_i16(i16) -> Fields;
        serialize_i32(i32) -> Fields;
        serialize_i64(i64) -> Fields;
        serialize_u8(u8) -> Fields;
        serialize_u16(u16) -> Fields;
        serialize_u32(u32) -> Fields;
        serialize_u64(u64) -> Fields;
        serialize_f32(f32) -> Fields;
        serialize_f64(f64) -> Fields;
        serialize_char(char) -> Fields;
        serialize_str(&str) -> Fields;
        serialize_bytes(&[u8]) -> Fields;
        serialize_none() -> Fields;
        serialize_unit() -> Fields;
        serialize_unit_struct(&'static str) -> Fields;
        serialize_unit_variant(&'static str, u32, &'static str) -> Fields;
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
    }

    fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result<Fields, NotAStruct> {
        not_a_struct()
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<Fields, NotAStruct> {
        not_a_struct()
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Fields, NotAStruct> {
        not_a_struct()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn columns_include_fields_that_serde_skips_when_none() {
        let columns = Family::Boost.columns();
        assert!(columns.contains(&"bpm"));
        assert!(columns.contains(&"percent_zero_boost"));
        assert_eq!(Family::Core.columns().first(), Some(&"shots"));
        assert_eq!(Family::Ball.columns(), ["possession_time", "time_in_side"]);
    }

    #[test]
    fn values_are_null_for_unset_options_and_missing_families() {
        let stats = PlayerStats::default();
        let core = Family::Core.values(&stats).unwrap();
        assert_eq!(lookup(&core, "mvp"), &Value::Null);
        assert_eq!(lookup(&core, "shots"), &Value::from(0));
        assert!(Family::Boost.values(&stats).is_none());
        assert!(Family::Ball.values(&stats).is_none());
    }
}
