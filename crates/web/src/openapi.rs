//! The OpenAPI document of the JSON API, generated from the handlers'
//! `#[utoipa::path]` annotations and the types they send and accept, so it
//! cannot drift from them (the operations test also checks it against
//! [`crate::routes::ROUTES`]). What every route shares (sign-in, the CSRF
//! header on writes, the errors any handler can answer) is added here once,
//! by [`Conventions`], from the same rules the extractors and layers follow.
//! Served at `/api/v1/openapi.json`.

use std::collections::BTreeMap;

use filmroom_domain::Registry;
use filmroom_store::{JobState, OwnerOutcome};
use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{
    AdditionalProperties, AnyOfBuilder, ArrayBuilder, KnownFormat, Object, ObjectBuilder,
    OneOfBuilder, Schema, SchemaFormat, Type,
};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, HeaderBuilder, OpenApi as Document, OpenApiVersion, Ref, RefOr, Required,
};
use utoipa::{Modify, OpenApi, PartialSchema, ToSchema};

use crate::accounts::auth::{CSRF_HEADER, SESSION_COOKIE};
use crate::accounts::identities::SetIdentitiesJson;
use crate::coach::CoachService;
use crate::coach::dto::{
    ChatEvent, ChatJson, ConversationEvent, DeltaEvent, DoneEvent, ErrorEvent, ToolFinishedEvent,
    ToolStartedEvent, WarningEvent,
};
use crate::config::Config;
use crate::dto::JobJson;
use crate::recordings::{self, uploads};
use crate::{accounts, coach, operations};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "filmroom API",
        version = "1",
        description = "The JSON API of filmroom: everything the pages show. Authenticate with \
            `Authorization: Bearer TOKEN` (personal API tokens from the account page) or the \
            session cookie plus the `X-CSRF-Token` header on writes. Another user's ids answer \
            404, like ids that do not exist. Times are Unix seconds (UTC). Every error is the \
            `Error` body with a stable `code`."
    ),
    paths(
        accounts::api::me,
        recordings::api::games,
        recordings::api::game,
        recordings::api::list,
        recordings::api::detail,
        recordings::api::report,
        recordings::media::media,
        recordings::progress::api,
        uploads::upload_replays,
        uploads::upload_recordings,
        recordings::api::uploads,
        recordings::api::events,
        accounts::api::tokens,
        accounts::api::create_token,
        accounts::api::revoke_token,
        accounts::api::sign_out_everywhere,
        operations::endpoints::openapi,
        operations::endpoints::health,
        operations::endpoints::status,
        operations::endpoints::metrics,
        coach::api::chat,
        coach::api::profiles,
        coach::api::conversations,
        coach::api::conversation,
        coach::api::delete_conversation,
        coach::api::notes,
        coach::api::create_note,
        coach::api::update_note,
        coach::api::delete_note,
        coach::api::usage_current,
        coach::api::usage_history,
        accounts::identities::get,
        accounts::identities::put,
        recordings::exports::document,
        recordings::exports::games_csv,
        crate::rights::api::delete_recording,
        crate::rights::api::export,
        crate::rights::api::erase_me,
    ),
    // Event schemas are named by `item_schema`, which does not collect them.
    components(schemas(JobEvent, ChatStreamEvent)),
    security(("bearer" = []), ("session" = [])),
    modifiers(&Conventions),
    tags(
        (name = "accounts", description = "The caller, API tokens, signing out"),
        (name = "recordings", description = "Uploads, recordings of every kind, analysis jobs"),
        (name = "games", description = "Rocket League games (the replay domain's view)"),
        (name = "coach", description = "The coach: chat, conversations, notes, usage"),
        (name = "operations", description = "Health, status, metrics, this document"),
    )
)]
struct ApiDoc;

/// The document for this server: what it accepts depends on its config
/// (files per upload) and its coach (the profiles, whether images are read).
pub fn document(config: &Config, coach: &CoachService, domains: &Registry) -> Document {
    let mut doc = ApiDoc::openapi();
    // 3.2 describes an event stream's events (`itemSchema`); 3.1 cannot.
    doc.openapi = OpenApiVersion::Version32;
    let Some(components) = doc.components.as_mut() else {
        return doc;
    };
    let schemas = &mut components.schemas;
    if let Some(files) = property(schemas, &UploadForm::name(), "files")
        && let Schema::Array(files) = files
    {
        files.max_items = Some(config.limits.max_files_per_batch);
    }
    // `chat` refuses images when no configured model reads them, and
    // profiles that do not exist: say so, rather than describe a request
    // that always fails.
    if !coach.reads_images()
        && let Some(Schema::Array(attachments)) =
            property(schemas, &ChatJson::name(), "attachments")
    {
        attachments.max_items = Some(0);
    }
    // A kind is one this server registered.
    if let Some(kind) = property(schemas, &SetIdentitiesJson::name(), "kind") {
        let kinds: Vec<String> = domains.domains().map(|d| d.kind().to_string()).collect();
        *kind = ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(kinds))
            .description(Some(
                "A kind of recording this server analyses (`rl_replay`)",
            ))
            .into();
    }
    if let Some(profile) = property(schemas, &ChatJson::name(), "profile") {
        let ids: Vec<String> = coach.profiles.list().iter().map(|p| p.id.clone()).collect();
        *profile = nullable(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(ids))
                .description(Some(
                    "The coach profile of a new conversation (GET /api/v1/coach/profiles); \
                     the default one without it",
                ))
                .build(),
        );
    }
    doc
}

/// The schema of `component`'s property `name`, to adjust.
fn property<'a>(
    schemas: &'a mut BTreeMap<String, RefOr<Schema>>,
    component: &str,
    name: &str,
) -> Option<&'a mut Schema> {
    match schemas.get_mut(component)? {
        RefOr::T(Schema::Object(object)) => match object.properties.get_mut(name)? {
            RefOr::T(schema) => Some(schema),
            RefOr::Ref(_) => None,
        },
        _ => None,
    }
}

/// [`document`] as JSON.
pub fn document_json(config: &Config, coach: &CoachService, domains: &Registry) -> String {
    // Serializing plain data (strings, numbers, maps) cannot fail.
    serde_json::to_string(&document(config, coach, domains)).unwrap_or_else(|_| "{}".to_owned())
}

/// What every operation shares, added from the rules the app follows.
struct Conventions;

impl Modify for Conventions {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A personal API token (`frt_...`) from the account page",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                SESSION_COOKIE,
                "The browser session from signing in; writes also need the X-CSRF-Token header",
            ))),
        );
        let error = || {
            ResponseBuilder::new()
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name(crate::error::Body::name())))
                        .build(),
                )
                .header(
                    "Retry-After",
                    HeaderBuilder::new().schema(Some(u64::schema())).build(),
                )
        };
        for (path, item) in doc.paths.paths.iter_mut() {
            let operations = [
                (false, item.get.as_mut()),
                (true, item.post.as_mut()),
                (true, item.put.as_mut()),
                (true, item.patch.as_mut()),
                (true, item.delete.as_mut()),
            ];
            for (writes, operation) in operations {
                let Some(operation) = operation else { continue };
                let public = operation
                    .security
                    .as_ref()
                    .is_some_and(|s| s.iter().all(|r| *r == Default::default()));
                if !public {
                    // `ApiUser`: no session and no token, or a wrong token.
                    add_response(
                        operation,
                        "401",
                        error()
                            .description(
                                "Not signed in, or the token is not valid (`unauthorized`)",
                            )
                            .build(),
                    );
                }
                if writes && !public {
                    // `Identity::check_csrf_header`: sessions only; tokens need none.
                    let parameters = operation.parameters.get_or_insert_with(Vec::new);
                    parameters.push(RefOr::T(csrf_header()));
                    add_response(
                        operation,
                        "403",
                        error()
                            .description(
                                "Signed in with the session cookie without its CSRF token (`csrf_failed`)",
                            )
                            .build(),
                    );
                }
                if operation.request_body.is_some() {
                    // The JSON and multipart extractors' body limits.
                    add_response(
                        operation,
                        "413",
                        error()
                            .description("The body is larger than this endpoint accepts (`payload_too_large`)")
                            .build(),
                    );
                }
                if path.starts_with("/api/") {
                    // `AppError::internal`: the store or the disk failed.
                    add_response(
                        operation,
                        "500",
                        error()
                            .description("The server failed (`internal`); the log has it under the request id")
                            .build(),
                    );
                    // The request timeout, a full queue, no usage plan.
                    add_response(
                        operation,
                        "503",
                        error()
                            .description(
                                "The server is busy or took too long (`timeout`, `queue_full`, \
                                 `server_busy`, `no_plan`); try again after Retry-After seconds",
                            )
                            .build(),
                    );
                }
            }
        }
    }
}

fn add_response(operation: &mut Operation, status: &str, response: Response) {
    operation
        .responses
        .responses
        .entry(status.to_owned())
        .or_insert(RefOr::T(response));
}

fn csrf_header() -> Parameter {
    ParameterBuilder::new()
        .name("X-CSRF-Token")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(format!(
            "The session's CSRF token ({CSRF_HEADER}); required with the session cookie, \
             ignored with a bearer token"
        )))
        .schema(Some(String::schema()))
        .build()
}

/// The `{id}` of a path: an id of the caller's own.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct IdParam {
    /// One of the caller's ids; any other id, or one that does not parse, answers 404.
    #[param(format = Uuid)]
    #[allow(dead_code)]
    id: String,
}

/// The query of `GET /api/v1/recordings` as [`recordings::api::parse_query`]
/// reads it (it takes the raw map, for the `facet.NAME` keys).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct RecordingsParams {
    /// Only this kind of recording, e.g. `rl_replay`.
    kind: Option<String>,
    /// The caller's result: `win`, `loss`, `draw` or `unknown`.
    #[param(schema_with = owner_outcome_filter)]
    outcome: Option<String>,
    /// Happened on or after this day, `YYYY-MM-DD`.
    #[param(schema_with = day)]
    from: Option<String>,
    /// Happened on or before this day, `YYYY-MM-DD`.
    #[param(schema_with = day)]
    to: Option<String>,
    /// `occurred_at` (default), `uploaded_at`, `duration` or `title`.
    #[param(schema_with = recordings_sort)]
    sort: Option<String>,
    /// `desc` (default) or `asc`.
    #[param(schema_with = order)]
    order: Option<String>,
    /// Recordings per page, 1 to 500 (default 50).
    #[param(schema_with = page_limit)]
    limit: Option<String>,
    /// Recordings to skip.
    #[param(schema_with = page_offset)]
    offset: Option<String>,
    /// The `next_cursor` of the previous page (same filters, sort and
    /// order); not with an offset.
    cursor: Option<String>,
    /// Facet filters as `facet.NAME=VALUE` (values ignore case), e.g. `facet.map=Stadium_P`.
    #[param(style = Form, explode, schema_with = facet_filters)]
    facets: Option<BTreeMap<String, String>>,
}

/// The parts of an upload: files, and for the plain HTML form a `csrf`
/// field before them.
pub struct UploadForm;

impl PartialSchema for UploadForm {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .property(
                "csrf",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some("The session's CSRF token, when not sent as a header")),
            )
            .property(
                "files",
                ArrayBuilder::new()
                    .items(
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary))),
                    )
                    .min_items(Some(1))
                    .description(Some("One part per file, each with its file name")),
            )
            .required("files")
            // Other parts are ignored at best, and a part name that is not
            // text is refused as malformed: the API has none.
            .additional_properties(Some(AdditionalProperties::FreeForm(false)))
            .into()
    }
}

impl ToSchema for UploadForm {}

/// One event of `GET /api/v1/events`.
pub struct JobEvent;

impl PartialSchema for JobEvent {
    fn schema() -> RefOr<Schema> {
        sse_event("job", &JobJson::name()).into()
    }
}

impl ToSchema for JobEvent {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((JobJson::name().into_owned(), JobJson::schema()));
        JobJson::schemas(schemas);
    }
}

/// One event of `POST /api/v1/coach/chat`'s answer.
pub struct ChatStreamEvent;

fn chat_event<T: ChatEvent + ToSchema>() -> Object {
    sse_event(T::NAME, &T::name())
}

fn with_schema<T: ToSchema>(schemas: &mut Vec<(String, RefOr<Schema>)>) {
    schemas.push((T::name().into_owned(), T::schema()));
    T::schemas(schemas);
}

impl PartialSchema for ChatStreamEvent {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .item(chat_event::<ConversationEvent>())
            .item(chat_event::<WarningEvent>())
            .item(chat_event::<ToolStartedEvent>())
            .item(chat_event::<ToolFinishedEvent>())
            .item(chat_event::<DeltaEvent>())
            .item(chat_event::<DoneEvent>())
            .item(chat_event::<ErrorEvent>())
            .into()
    }
}

impl ToSchema for ChatStreamEvent {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        with_schema::<ConversationEvent>(schemas);
        with_schema::<WarningEvent>(schemas);
        with_schema::<ToolStartedEvent>(schemas);
        with_schema::<ToolFinishedEvent>(schemas);
        with_schema::<DeltaEvent>(schemas);
        with_schema::<DoneEvent>(schemas);
        with_schema::<ErrorEvent>(schemas);
    }
}

/// A server-sent event named `name` whose `data` is the JSON of the
/// component `payload` (OpenAPI 3.2's way of describing event streams).
fn sse_event(name: &str, payload: &str) -> Object {
    ObjectBuilder::new()
        .property(
            "event",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some([name])),
        )
        .required("event")
        .property(
            "data",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .content_media_type("application/json")
                .content_schema(Some(Ref::from_schema_name(payload))),
        )
        .required("data")
        .property("id", ObjectBuilder::new().schema_type(Type::String))
        .property(
            "retry",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0)),
        )
        .build()
}

// ---- the schemas of values the handlers send or read as plain strings ----

fn strings(values: impl IntoIterator<Item = &'static str>) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .build()
}

fn nullable(schema: Object) -> Schema {
    OneOfBuilder::new()
        .item(schema)
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .into()
}

/// A query value that may also be empty: a form's blank select means "any".
fn or_blank(schema: Object) -> Schema {
    AnyOfBuilder::new().item(schema).item(strings([""])).into()
}

const JOB_STATES: [JobState; 4] = [
    JobState::Queued,
    JobState::Running,
    JobState::Done,
    JobState::Dead,
];

pub fn job_state() -> Object {
    strings(JOB_STATES.map(|s| s.as_str()))
}

pub fn job_state_or_null() -> Schema {
    nullable(job_state())
}

pub fn game_result_or_null() -> Schema {
    // The games list leaves `unknown` out: it shows no result as null.
    nullable(strings(
        [OwnerOutcome::Win, OwnerOutcome::Loss, OwnerOutcome::Draw].map(|r| r.as_str()),
    ))
}

const OWNER_OUTCOMES: [OwnerOutcome; 4] = [
    OwnerOutcome::Win,
    OwnerOutcome::Loss,
    OwnerOutcome::Draw,
    OwnerOutcome::Unknown,
];

pub fn owner_outcome() -> Object {
    strings(OWNER_OUTCOMES.map(|o| o.as_str()))
}

fn owner_outcome_filter() -> Schema {
    or_blank(owner_outcome())
}

pub fn ok_or_degraded() -> Object {
    strings(["ok", "degraded"])
}

pub fn ok_or_unavailable() -> Object {
    strings(["ok", "unavailable"])
}

pub fn message_role() -> Object {
    strings(["user", "assistant"])
}

pub fn note_author() -> Object {
    strings(["user", "coach"])
}

pub fn usage_outcome() -> Object {
    strings(["ok", "truncated", "error"])
}

pub fn image_media_type() -> Object {
    strings(["image/png", "image/jpeg", "image/gif", "image/webp"])
}

/// Text that is not blank once trimmed, of at most `max` characters.
fn text(max: usize) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(max))
        .pattern(Some(r"\S"))
        .build()
}

/// A participant key the caller says is them: not blank, at most
/// [`MAX_PARTICIPANT_CHARS`](accounts::identities::MAX_PARTICIPANT_CHARS)
/// characters, none of them a control character.
pub fn participant_keys() -> Schema {
    const NO_CONTROL: &str = r"\u0000-\u001F\u007F-\u009F";
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(accounts::identities::MAX_PARTICIPANT_CHARS))
                .pattern(Some(format!(
                    "^[^{NO_CONTROL}]*[^\\s{NO_CONTROL}][^{NO_CONTROL}]*$"
                ))),
        )
        .max_items(Some(accounts::identities::MAX_LINKS_PER_KIND))
        .into()
}

pub fn token_name() -> Object {
    text(64)
}

pub fn chat_message() -> Object {
    text(coach::api::MAX_MESSAGE_CHARS)
}

pub fn note_text() -> Object {
    text(filmroom_coach::MAX_NOTE_CHARS)
}

pub fn games_sort() -> Schema {
    or_blank(strings([
        "played_at",
        "date",
        "uploaded_at",
        "map",
        "playlist",
        "team_size",
    ]))
}

pub fn games_result() -> Schema {
    or_blank(owner_outcome())
}

fn recordings_sort() -> Schema {
    or_blank(strings(["occurred_at", "uploaded_at", "duration", "title"]))
}

pub fn order() -> Schema {
    or_blank(strings(["desc", "asc"]))
}

pub fn day() -> Schema {
    or_blank(
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
            .build(),
    )
}

fn integer(min: u32, max: u32) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(min))
        .maximum(Some(max))
        .build()
}

pub fn team_size() -> Schema {
    or_blank(integer(1, 8))
}

pub fn page_limit() -> Schema {
    or_blank(integer(1, 500))
}

pub fn page_offset() -> Schema {
    or_blank(integer(0, u32::MAX))
}

fn facet_filters() -> Object {
    ObjectBuilder::new()
        .property_names(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(r"^facet\..{1,200}$")),
        ))
        .additional_properties(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(200)),
        ))
        .build()
}
