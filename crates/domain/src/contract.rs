//! 技术合同登记 (contract registration and verification) and 委托科研项目 (commissioned projects
//! with milestones and acceptance). Only verified contracts count towards 技术交易额.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::amount::AmountWan;
use crate::error::{Code, Error, Result};
use crate::region::regions;
use crate::user::{optional_text, required_text};
use crate::vocabulary;

vocabulary! {
    ContractType {
        Development = "development" / "技术开发";
        Transfer = "transfer" / "技术转让";
        Licensing = "licensing" / "技术许可";
        Consulting = "consulting" / "技术咨询";
        Service = "service" / "技术服务";
    }
}

// Pending: registered by one party, the other party (an account) has not confirmed yet.
// Declined: the other party declined (with a reason); it counts nowhere.
vocabulary! {
    ContractStatus {
        Pending = "pending" / "待确认";
        Declined = "declined" / "对方未确认";
        Registered = "registered" / "登记";
        Verified = "verified" / "已核验";
        Returned = "returned" / "退回";
    }
}

vocabulary! {
    MilestoneStatus {
        Open = "open" / "进行中";
        Accepted = "accepted" / "已验收";
    }
}

vocabulary! {
    ProjectStatus {
        Ongoing = "ongoing" / "执行中";
        Accepted = "accepted" / "已验收";
    }
}

/// The largest contract scan accepted.
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

/// One party of a contract: a registered user, or an outside party by name.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PartyInput {
    #[serde(default)]
    pub user_id: Option<i64>,
    /// Required for parties that are not registered.
    #[serde(default)]
    pub name: Option<String>,
    /// Required for an outside buyer: where the buyer is (the contract counts there).
    #[serde(default)]
    pub region_code: Option<String>,
}

/// Registering (or correcting a returned) contract.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractInput {
    pub contract_type: ContractType,
    pub title: String,
    /// 委托方 / 受让方 (甲方).
    pub buyer: PartyInput,
    /// 受托方 / 让与方 (乙方).
    pub seller: PartyInput,
    /// 合同金额（万元）.
    #[schema(value_type = String, example = "35.5")]
    pub amount_wan: AmountWan,
    pub signed_on: NaiveDate,
    #[serde(default)]
    pub need_id: Option<i64>,
    #[serde(default)]
    pub achievement_id: Option<i64>,
    #[serde(default)]
    pub order_id: Option<i64>,
}

/// A party after checking: the registered user's name and region are filled in by the caller.
#[derive(Debug, Clone, PartialEq)]
pub struct Party {
    pub user_id: Option<i64>,
    pub name: String,
    pub region_code: Option<String>,
}

impl PartyInput {
    /// Checks an outside party's fields; a registered party is resolved by the caller.
    pub fn outside(&self, field: &'static str, need_region: bool) -> Result<Party> {
        let name = required_text(field, "合同当事方名称", self.name.as_deref().unwrap_or(""), 2, 100)?;
        let region_code = match &self.region_code {
            Some(code) => Some(regions().require(code)?.code.clone()),
            None if need_region => return Err(Error::field(field, "未注册的委托方需填写所在地区")),
            None => None,
        };
        Ok(Party { user_id: None, name, region_code })
    }
}

impl ContractInput {
    /// Checks the fields that do not need the database.
    pub fn validate(&self, today: NaiveDate) -> Result<String> {
        let title = required_text("title", "合同名称", &self.title, 4, 200)?;
        if self.signed_on > today {
            return Err(Error::field("signed_on", "签订日期不能晚于今天"));
        }
        if self.amount_wan.to_yuan() <= 0 {
            return Err(Error::new(Code::InvalidAmount, "合同金额应大于零").with_field("amount_wan"));
        }
        if self.buyer.user_id.is_some() && self.buyer.user_id == self.seller.user_id {
            return Err(Error::field("seller", "合同双方不能是同一账号"));
        }
        Ok(title)
    }
}

/// A contract may be corrected only after it was returned, and verified only while registered.
pub fn check_verifiable(status: ContractStatus) -> Result<()> {
    if status == ContractStatus::Pending {
        return Err(Error::illegal_transition("合同尚待对方确认，确认后方可核验"));
    }
    if status == ContractStatus::Registered {
        Ok(())
    } else {
        Err(Error::illegal_transition(format!("合同“{}”状态下不能核验或退回", status.label())))
    }
}

/// A returned contract is corrected; a verified one is corrected as a new version (back to
/// 待核验, the verified one kept). Others wait for confirmation or verification.
pub fn check_correctable(status: ContractStatus) -> Result<()> {
    if matches!(status, ContractStatus::Returned | ContractStatus::Verified) {
        Ok(())
    } else {
        Err(Error::illegal_transition(format!("合同“{}”状态下不能修改，退回或核验后方可修改", status.label())))
    }
}

/// Only a 技术开发 contract that has not been returned becomes a commissioned project.
pub fn check_projectable(contract_type: ContractType, status: ContractStatus) -> Result<()> {
    if contract_type != ContractType::Development {
        return Err(Error::field("contract_type", "只有技术开发合同可以作为委托科研项目立项"));
    }
    if status == ContractStatus::Returned {
        return Err(Error::illegal_transition("合同已被退回，修改并重新登记后才能立项"));
    }
    if !is_confirmed(status) {
        return Err(Error::illegal_transition("合同尚未经对方确认，不能立项"));
    }
    Ok(())
}

/// A scanned contract must really be a PDF (by its bytes, not its name), within the size limit,
/// read whole by a PDF parser, and carry no active content (scripts, actions that leave the
/// document, forms that submit, multimedia, embedded files).
///
/// The file is parsed with lopdf from memory, every object is walked (objects packed in object
/// streams too, after decoding those streams' filters), and every stream's filters are decoded
/// within [`MAX_DECODED_BYTES`]. Anything the parser cannot read fully is refused: an object the
/// cross-reference data lists but that does not parse, a stream whose (non-image) filters do not
/// decode, an encrypted file that cannot be opened without a password.
pub fn check_attachment(bytes: &[u8]) -> Result<()> {
    if bytes.is_empty() {
        return Err(Error::field("attachment", "附件为空"));
    }
    if bytes.len() > MAX_ATTACHMENT_BYTES {
        return Err(Error::new(Code::PayloadTooLarge, "合同附件不能超过 10 MB"));
    }
    if !bytes.starts_with(b"%PDF-") {
        return Err(Error::new(Code::UnsupportedMediaType, "合同附件只接受 PDF 扫描件"));
    }
    // lopdf has panicked on crafted files before (its issue tracker lists several, e.g. #532
    // against 0.44, since fixed), and none is known on its load path now: should one remain, the
    // file is refused instead of the request failing. The closure only reads `bytes`.
    let outcome = std::panic::catch_unwind(|| pdf::inspect(bytes)).unwrap_or(Err(pdf::Refusal::Unreadable));
    let message = match outcome {
        Ok(()) => return Ok(()),
        Err(pdf::Refusal::Unreadable) => "PDF 文件无法完整解析，请重新扫描或导出后上传",
        Err(pdf::Refusal::Encrypted) => "PDF 文件已加密，无法检查，请去除密码保护后上传",
        Err(pdf::Refusal::TooLarge) => "PDF 压缩内容过大，无法检查",
        Err(pdf::Refusal::Active) => "PDF 中含有脚本、动作或嵌入文件，出于安全原因不予接收",
    };
    Err(Error::new(Code::UnsupportedMediaType, message))
}

/// Total bytes the attachment check decodes at most, over all streams and filter layers, so that
/// a small "zip bomb" cannot exhaust memory.
pub const MAX_DECODED_BYTES: usize = 64 * 1024 * 1024;

/// Decoded object streams at most. Their contents are parsed and kept as objects, which take
/// several times the room of their text, so they get no more than a plain file may hold.
const MAX_OBJECT_STREAM_BYTES: usize = MAX_ATTACHMENT_BYTES;

mod pdf {
    use std::collections::{BTreeMap, BTreeSet};

    use lopdf::xref::XrefEntry;
    use lopdf::{Dictionary, Document, LoadOptions, Object, ObjectId, ObjectStream, Stream};

    use super::{MAX_DECODED_BYTES, MAX_OBJECT_STREAM_BYTES};

    /// Why a PDF is refused.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(super) enum Refusal {
        /// The parser could not read the whole file.
        Unreadable,
        /// The file is encrypted. lopdf opens files encrypted with the empty password, but keeps
        /// objects it could not decrypt with a warning only, and drops the `/Encrypt` dictionary
        /// from its objects, so such a file cannot be shown to be read whole.
        Encrypted,
        /// Decoding the streams would pass the budget.
        TooLarge,
        /// Some object makes the PDF act rather than show, or carries a file.
        Active,
    }

    type Checked = Result<(), Refusal>;

    /// Keys refused in any dictionary (stream dictionaries, nested ones and the trailer too).
    const REFUSED_KEYS: &[&[u8]] = &[
        b"JS",                // the script of a JavaScript action (also in Rendition actions)
        b"JavaScript",        // the name tree of document-level scripts, in /Names
        b"AA",                // additional actions: triggers of pages, annotations, fields, the document
        b"XFA",               // XML forms in the AcroForm, which run their own scripts
        b"EmbeddedFiles",     // the name tree of attached files, in /Names
        b"EF",                // the embedded file streams of a file specification
        b"RichMediaContent",  // RichMedia (Flash and video) annotations
        b"RichMediaSettings", //
        b"OnInstantiate",     // the script of 3D artwork
    ];

    /// Names refused wherever they appear as a value: as an action's `/S`, an annotation's
    /// `/Subtype`, a `/Type`, or in an array. None of them has a harmless use elsewhere, and
    /// refusing them everywhere also catches them behind an indirect reference.
    const REFUSED_NAMES: &[&[u8]] = &[
        b"JavaScript",       // action: runs a script
        b"Launch",           // action: starts a program or opens a file
        b"URI",              // action: opens a web address
        b"SubmitForm",       // action: sends form data somewhere
        b"ImportData",       // action: reads form data from a file
        b"GoToR",            // action: opens another PDF file
        b"GoToE",            // action: opens an embedded PDF file
        b"Rendition",        // action and media: plays media, may carry a script
        b"Movie",            // action and annotation: plays a movie
        b"Sound",            // action and annotation: plays a sound it embeds
        b"RichMedia",        // annotation: Flash or video
        b"RichMediaExecute", // action: sends commands to RichMedia
        b"3D",               // annotation: 3D artwork, which may run scripts
        b"EmbeddedFile",     // type of an embedded file stream
        b"FileAttachment",   // annotation: an attached file
    ];

    /// Filters of image data: scanned pages, whose content is not parsed. They end a filter chain.
    const IMAGE_FILTERS: &[&[u8]] = &[b"DCTDecode", b"JPXDecode", b"CCITTFaxDecode", b"JBIG2Decode"];

    /// Filters decoded with lopdf. FlateDecode is inflated with miniz_oxide first, which (unlike
    /// lopdf, which keeps what it inflated before an error) refuses corrupt data.
    const DECODED_FILTERS: &[&[u8]] =
        &[b"FlateDecode", b"ASCIIHexDecode", b"ASCII85Decode", b"LZWDecode", b"RunLengthDecode"];

    /// What is left to decode.
    struct Budget {
        decoded: usize,
        object_streams: usize,
    }

    impl Budget {
        fn new() -> Self {
            Budget { decoded: MAX_DECODED_BYTES, object_streams: MAX_OBJECT_STREAM_BYTES }
        }

        fn spend(&mut self, n: usize) -> Checked {
            self.decoded = self.decoded.checked_sub(n).ok_or(Refusal::TooLarge)?;
            Ok(())
        }
    }

    /// The `/Type` object streams get while loading, so that lopdf keeps them packed and they are
    /// unpacked here within the budget. (lopdf's own limit is per stream: a file of many small
    /// object streams could otherwise make it decode and parse gigabytes.)
    const PACKED: &[u8] = b"KejiyunPackedObjStm";

    fn keep_packed(id: ObjectId, object: &mut Object) -> Option<(ObjectId, Object)> {
        if let Object::Stream(stream) = object
            && stream.dict.has_type(b"ObjStm")
        {
            stream.dict.set("Type", Object::Name(PACKED.to_vec()));
        }
        // lopdf keeps `object` as changed here for objects it reads at an offset, and takes the
        // returned one for objects it unpacks: return the same in both.
        Some((id, object.clone()))
    }

    /// Reads the PDF twice: by its cross-reference data (as lopdf repairs it when damaged), where
    /// every object listed must load, and by scanning it for every `n g obj`, which also finds
    /// objects no cross-reference section lists (a reader that rebuilds a damaged table would
    /// see them). Both readings must be free of active content.
    pub(super) fn inspect(bytes: &[u8]) -> Checked {
        let listed = load(bytes, false)?;
        let rebuilt = listed.xref_recovery == Some(lopdf::xref::XrefRecovery::Reconstructed);
        check_document(&listed, true)?;
        drop(listed);
        if !rebuilt && let Ok(scanned) = load(bytes, true) {
            check_document(&scanned, false)?;
        }
        Ok(())
    }

    fn load(bytes: &[u8], force_reconstruct: bool) -> Result<Document, Refusal> {
        let options = LoadOptions {
            filter: Some(keep_packed),
            // Object streams of encrypted files are unpacked by lopdf (the filter is not applied
            // there), and cross-reference streams always are: this bounds each of them.
            max_decompressed_size: Some(MAX_OBJECT_STREAM_BYTES),
            force_reconstruct,
            ..LoadOptions::default()
        };
        let document = Document::load_mem_with_options(bytes, options).map_err(|_| Refusal::Unreadable)?;
        if document.encryption_state.is_some() || document.trailer.has(b"Encrypt") {
            return Err(Refusal::Encrypted);
        }
        if document.objects.is_empty() {
            return Err(Refusal::Unreadable);
        }
        Ok(document)
    }

    fn check_document(document: &Document, complete: bool) -> Checked {
        let mut budget = Budget::new();
        let mut packed = BTreeMap::new();
        for object in document.objects.values() {
            if let Object::Stream(stream) = object {
                let decoded = decode(stream, &mut budget)?;
                if stream.dict.has_type(PACKED) {
                    unpack(stream, decoded.ok_or(Refusal::Unreadable)?, &mut budget, &mut packed)?;
                } else if stream.dict.has_type(b"ObjStm") && decoded.is_none() {
                    return Err(Refusal::Unreadable);
                }
            }
        }
        if complete {
            let loaded: BTreeSet<u32> = document.objects.keys().chain(packed.keys()).map(|id| id.0).collect();
            for (number, entry) in &document.reference_table.entries {
                if matches!(entry, XrefEntry::Normal { .. } | XrefEntry::Compressed { .. }) && !loaded.contains(number)
                {
                    return Err(Refusal::Unreadable);
                }
            }
        }
        let resolve = |id: &ObjectId| document.objects.get(id).or_else(|| packed.get(id));
        check_dictionary(&document.trailer, &resolve)?;
        for object in document.objects.values().chain(packed.values()) {
            check_object(object, &resolve)?;
        }
        Ok(())
    }

    /// Parses the objects of a decoded object stream. Each of its `/N` objects must parse.
    fn unpack(
        stream: &Stream,
        decoded: Vec<u8>,
        budget: &mut Budget,
        packed: &mut BTreeMap<ObjectId, Object>,
    ) -> Checked {
        budget.object_streams = budget.object_streams.checked_sub(decoded.len()).ok_or(Refusal::TooLarge)?;
        let mut dict = stream.dict.clone();
        dict.remove(b"Filter");
        dict.remove(b"DecodeParms");
        let expected = dict.get(b"N").and_then(Object::as_i64).map_err(|_| Refusal::Unreadable)?;
        let objects = ObjectStream::new(&Stream::new(dict, decoded)).map_err(|_| Refusal::Unreadable)?.objects;
        if i64::try_from(objects.len()).ok() != Some(expected) {
            return Err(Refusal::Unreadable);
        }
        packed.extend(objects);
        Ok(())
    }

    /// Decodes a stream's filters in order, each layer within the budget. `None` for image data,
    /// whose last filter is an image filter. Unknown filters (and `/Crypt`) are refused.
    fn decode(stream: &Stream, budget: &mut Budget) -> Result<Option<Vec<u8>>, Refusal> {
        let filters: Vec<&[u8]> = match stream.dict.get(b"Filter") {
            Err(_) => vec![],
            Ok(Object::Name(name)) => vec![name.as_slice()],
            Ok(Object::Array(names)) => {
                names.iter().map(|name| name.as_name().map_err(|_| Refusal::Unreadable)).collect::<Result<_, _>>()?
            }
            Ok(_) => return Err(Refusal::Unreadable),
        };
        if filters.len() > Stream::MAX_FILTERS {
            return Err(Refusal::Unreadable);
        }
        let params = stream.dict.get(b"DecodeParms").ok();
        let mut data = std::borrow::Cow::Borrowed(stream.content.as_slice());
        for (index, filter) in filters.iter().enumerate() {
            if IMAGE_FILTERS.contains(filter) {
                return if index + 1 == filters.len() { Ok(None) } else { Err(Refusal::Unreadable) };
            }
            if !DECODED_FILTERS.contains(filter) {
                return Err(Refusal::Unreadable);
            }
            let params = match params {
                Some(Object::Array(params)) => params.get(index).and_then(|p| p.as_dict().ok()),
                Some(Object::Dictionary(params)) => Some(params),
                _ => None,
            };
            data = decode_layer(filter, params, &data, budget.decoded)?.into();
            budget.spend(data.len())?;
        }
        Ok(Some(data.into_owned()))
    }

    /// One filter of a chain, with its parameters, at most `limit` bytes out.
    fn decode_layer(filter: &[u8], params: Option<&Dictionary>, data: &[u8], limit: usize) -> Result<Vec<u8>, Refusal> {
        // lopdf inflates corrupt Flate data as far as it goes and keeps the result (and its LZW
        // decoder does the same); miniz_oxide checks the whole zlib stream, Adler-32 included.
        // lopdf's decoders take a limit per call, so the budget left is passed to each layer.
        if filter == b"FlateDecode" && !data.is_empty() {
            use miniz_oxide::inflate::{TINFLStatus, decompress_to_vec_zlib_with_limit};
            let inflated = decompress_to_vec_zlib_with_limit(data, limit).map_err(|e| match e.status {
                TINFLStatus::HasMoreOutput => Refusal::TooLarge,
                _ => Refusal::Unreadable,
            })?;
            let predictor = params.and_then(|p| p.get(b"Predictor").ok()).and_then(|p| p.as_i64().ok());
            if predictor.is_none_or(|p| p == 1) {
                return Ok(inflated);
            }
        }
        let mut dict = Dictionary::new();
        dict.set("Filter", Object::Name(filter.to_vec()));
        if let Some(params) = params {
            dict.set("DecodeParms", Object::Dictionary(params.clone()));
        }
        Stream::new(dict, data.to_vec()).decompressed_content_with_limit(limit).map_err(|e| match e {
            lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. }) => Refusal::TooLarge,
            _ => Refusal::Unreadable,
        })
    }

    /// A name as compared with the lists: up to its first byte outside printable ASCII. Such
    /// bytes have no place in these names, and readers differ on whether they end a name, so
    /// `/JavaScript\x8f` counts as `/JavaScript` (a whole-name comparison let it pass).
    fn plain_name(name: &[u8]) -> &[u8] {
        let end = name.iter().position(|b| !(0x21..=0x7e).contains(b)).unwrap_or(name.len());
        &name[..end]
    }

    fn check_object<'a>(object: &Object, resolve: &impl Fn(&ObjectId) -> Option<&'a Object>) -> Checked {
        match object {
            Object::Name(name) if REFUSED_NAMES.contains(&plain_name(name)) => Err(Refusal::Active),
            Object::Array(items) => items.iter().try_for_each(|item| check_object(item, resolve)),
            Object::Dictionary(dict) => check_dictionary(dict, resolve),
            Object::Stream(stream) => check_dictionary(&stream.dict, resolve),
            _ => Ok(()),
        }
    }

    fn check_dictionary<'a>(dict: &Dictionary, resolve: &impl Fn(&ObjectId) -> Option<&'a Object>) -> Checked {
        for (key, value) in dict.iter() {
            if REFUSED_KEYS.contains(&plain_name(key)) {
                return Err(Refusal::Active);
            }
            if plain_name(key) == b"OpenAction" && !plain_open_action(value, resolve) {
                return Err(Refusal::Active);
            }
            check_object(value, resolve)?;
        }
        Ok(())
    }

    /// What a document may do when opened: show a page (a destination array, or a GoTo action
    /// to one). Anything else (named actions, scripts, chained actions) is refused.
    fn plain_open_action<'a>(value: &Object, resolve: &impl Fn(&ObjectId) -> Option<&'a Object>) -> bool {
        let value = match value {
            Object::Reference(id) => match resolve(id) {
                Some(object) => object,
                None => return false,
            },
            value => value,
        };
        match value {
            Object::Array(_) => true,
            Object::Dictionary(action) => {
                action.get(b"S").and_then(Object::as_name).is_ok_and(|s| s == b"GoTo") && !action.has(b"Next")
            }
            _ => false,
        }
    }
}

/// A milestone of a commissioned project.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MilestoneInput {
    pub name: String,
    pub due_on: NaiveDate,
    /// 交付物.
    pub deliverable: String,
    /// 节点付款（万元）.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub payment_wan: Option<AmountWan>,
}

impl MilestoneInput {
    pub fn validate(self, contract_amount: AmountWan) -> Result<MilestoneInput> {
        if self.payment_wan.is_some_and(|p| p > contract_amount) {
            return Err(Error::new(Code::InvalidAmount, "节点付款不能超过合同金额").with_field("payment_wan"));
        }
        Ok(MilestoneInput {
            name: required_text("name", "节点名称", &self.name, 2, 100)?,
            deliverable: required_text("deliverable", "交付物", &self.deliverable, 2, 500)?,
            ..self
        })
    }
}

/// A progress update of a project.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgressInput {
    pub text: String,
}

impl ProgressInput {
    pub fn validate(self) -> Result<String> {
        required_text("text", "进展", &self.text, 2, 2000)
    }
}

/// 验收 of a milestone, with an optional opinion.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptanceInput {
    #[serde(default)]
    pub opinion: Option<String>,
}

impl AcceptanceInput {
    pub fn validate(self) -> Result<Option<String>> {
        optional_text("opinion", self.opinion, 1000)
    }
}

/// A milestone is overdue while not accepted after its due date.
pub fn milestone_overdue(status: MilestoneStatus, due_on: NaiveDate, today: NaiveDate) -> bool {
    status == MilestoneStatus::Open && due_on < today
}

/// The project is accepted when every milestone is (and it has at least one).
pub fn project_status(milestones: &[MilestoneStatus]) -> ProjectStatus {
    if !milestones.is_empty() && milestones.iter().all(|m| *m == MilestoneStatus::Accepted) {
        ProjectStatus::Accepted
    } else {
        ProjectStatus::Ongoing
    }
}

/// A registered technology contract.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Contract {
    pub id: i64,
    pub contract_type: ContractType,
    pub title: String,
    pub buyer_id: Option<i64>,
    pub buyer_name: String,
    pub seller_id: Option<i64>,
    pub seller_name: String,
    /// Where the buyer is; the contract counts there.
    pub region_code: String,
    #[schema(value_type = String)]
    pub amount_wan: AmountWan,
    pub signed_on: NaiveDate,
    pub need_id: Option<i64>,
    pub achievement_id: Option<i64>,
    pub order_id: Option<i64>,
    pub status: ContractStatus,
    pub return_reason: Option<String>,
    pub registered_by: i64,
    /// The party's account that must confirm the contract (the other party, when it has one).
    pub confirm_by: Option<i64>,
    pub confirmed_at: Option<DateTime<Utc>>,
    /// Why the other party declined.
    pub decline_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub verified_at: Option<DateTime<Utc>>,
    /// Size in bytes of the scanned contract, when one was uploaded.
    pub attachment_size: Option<i64>,
    pub project_id: Option<i64>,
    /// Steward of the linked service order (for access rules), not shown.
    #[serde(skip)]
    pub order_steward_id: Option<i64>,
    #[serde(skip)]
    pub version: i64,
}

impl Contract {
    pub fn facts(&self) -> crate::policy::ContractFacts<'_> {
        crate::policy::ContractFacts {
            registered_by: self.registered_by,
            buyer_id: self.buyer_id,
            seller_id: self.seller_id,
            region_code: &self.region_code,
            order_steward_id: self.order_steward_id,
            confirm_by: self.confirm_by,
            status: self.status,
        }
    }
}

/// A superseded (verified) version of a contract, kept as it was.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ContractVersion {
    pub id: i64,
    /// The contract as it was verified.
    #[schema(value_type = Object)]
    pub snapshot: serde_json::Value,
    /// SHA-256 of `snapshot` as stored.
    pub snapshot_sha256: String,
    /// SHA-256 of its scan, if it had one (the scan is kept too).
    pub attachment_sha256: Option<String>,
    pub superseded_by: i64,
    pub superseded_at: DateTime<Utc>,
    /// `correct` (fields corrected) or `attach` (a new scan).
    pub reason: String,
}

/// Whether a contract has been confirmed by both parties (only such contracts are listed for
/// admins, verified and counted).
pub fn is_confirmed(status: ContractStatus) -> bool {
    !matches!(status, ContractStatus::Pending | ContractStatus::Declined)
}

/// Confirming or declining is possible only while the contract waits for it.
pub fn check_confirmable(status: ContractStatus) -> Result<()> {
    if status == ContractStatus::Pending {
        Ok(())
    } else {
        Err(Error::illegal_transition(format!("合同“{}”状态下不能确认或拒绝", status.label())))
    }
}

/// The other party's answer to a contract registered with it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmInput {
    /// true = 确认合同属实; false = 拒绝 (needs `reason`).
    pub accept: bool,
    #[serde(default)]
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

impl ConfirmInput {
    pub fn validate(self) -> Result<(bool, Option<String>)> {
        let reason = optional_text("reason", self.reason, 500)?;
        if !self.accept && reason.is_none() {
            return Err(Error::field("reason", "拒绝确认时请说明原因"));
        }
        Ok((self.accept, reason))
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Milestone {
    pub id: i64,
    pub name: String,
    pub due_on: NaiveDate,
    pub deliverable: String,
    #[schema(value_type = Option<String>)]
    pub payment_wan: Option<AmountWan>,
    pub status: MilestoneStatus,
    pub accepted_at: Option<DateTime<Utc>>,
    pub opinion: Option<String>,
    pub overdue: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProgressEntry {
    pub id: i64,
    pub author_id: i64,
    pub author_name: String,
    pub text: String,
    pub created_at: DateTime<Utc>,
}

/// A 委托科研项目: a development contract run by milestones.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Project {
    pub id: i64,
    pub contract_id: i64,
    pub title: String,
    pub status: ProjectStatus,
    pub created_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub milestones: Vec<Milestone>,
    pub progress: Vec<ProgressEntry>,
    /// Some milestone is past its due date without acceptance.
    pub overdue: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn input() -> ContractInput {
        ContractInput {
            contract_type: ContractType::Development,
            title: "丢糟饲料化技术开发合同".into(),
            buyer: PartyInput { user_id: Some(1), name: None, region_code: None },
            seller: PartyInput { user_id: Some(2), name: None, region_code: None },
            amount_wan: AmountWan::parse("35.5").unwrap(),
            signed_on: d("2026-11-20"),
            need_id: None,
            achievement_id: None,
            order_id: None,
        }
    }

    #[test]
    fn contracts_are_checked() {
        let today = d("2026-11-25");
        assert_eq!(input().validate(today).unwrap(), "丢糟饲料化技术开发合同");
        let future = ContractInput { signed_on: d("2026-12-01"), ..input() };
        assert_eq!(future.validate(today).unwrap_err().field, Some("signed_on"));
        let zero = ContractInput { amount_wan: AmountWan::parse("0").unwrap(), ..input() };
        assert_eq!(zero.validate(today).unwrap_err().code, Code::InvalidAmount);
        let same = ContractInput { seller: PartyInput { user_id: Some(1), name: None, region_code: None }, ..input() };
        assert_eq!(same.validate(today).unwrap_err().field, Some("seller"));
    }

    #[test]
    fn outside_parties_need_a_name_and_buyers_a_region() {
        let p = PartyInput { user_id: None, name: Some("成都某某酒业".into()), region_code: None };
        assert_eq!(p.outside("buyer", true).unwrap_err().field, Some("buyer"));
        assert_eq!(p.outside("seller", false).unwrap().name, "成都某某酒业");
        let bad = PartyInput { region_code: Some("999999".into()), ..p.clone() };
        assert_eq!(bad.outside("buyer", true).unwrap_err().code, Code::InvalidRegion);
    }

    #[test]
    fn contract_life_cycle() {
        assert!(check_verifiable(ContractStatus::Registered).is_ok());
        assert_eq!(check_verifiable(ContractStatus::Verified).unwrap_err().status(), 409);
        assert!(check_correctable(ContractStatus::Returned).is_ok());
        assert_eq!(check_correctable(ContractStatus::Registered).unwrap_err().status(), 409);
        assert!(check_projectable(ContractType::Development, ContractStatus::Verified).is_ok());
        assert_eq!(check_projectable(ContractType::Service, ContractStatus::Verified).unwrap_err().status(), 422);
    }

    /// PDFs built for the attachment check: with lopdf's writer, or assembled by hand where the
    /// writer cannot say it (object streams with chosen filters, escaped names, broken objects).
    mod pdfs {
        use lopdf::{Document, Object, ObjectId, SaveOptions, Stream, dictionary};

        /// A scan as a scanner writes it: one A4 page whose content draws a JPEG image.
        pub fn scan() -> (Document, ObjectId, ObjectId) {
            let mut doc = Document::with_version("1.5");
            let pages_id = doc.new_object_id();
            let jpeg = [b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00".as_slice(), &[0x5a; 64], b"\xFF\xD9"].concat();
            let image = Stream::new(
                dictionary! {
                    "Type" => "XObject", "Subtype" => "Image", "Width" => 8, "Height" => 8,
                    "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8, "Filter" => "DCTDecode",
                },
                jpeg,
            );
            let image_id = doc.add_object(image);
            let content = doc.add_object(Stream::new(dictionary! {}, b"q 595 0 0 842 0 0 cm /Im0 Do Q\n".repeat(8)));
            let page_id = doc.add_object(dictionary! {
                "Type" => "Page", "Parent" => pages_id, "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
                "Resources" => dictionary! { "XObject" => dictionary! { "Im0" => image_id } },
                "Contents" => content,
            });
            doc.objects.insert(
                pages_id,
                Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1 }),
            );
            let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
            doc.trailer.set("Root", catalog_id);
            doc.compress();
            (doc, catalog_id, page_id)
        }

        pub fn save(mut doc: Document) -> Vec<u8> {
            let mut out = Vec::new();
            doc.save_to(&mut out).unwrap();
            out
        }

        /// Saved with object streams and a cross-reference stream: every dictionary that is not
        /// a stream is packed in a Flate-compressed object stream.
        pub fn save_packed(mut doc: Document) -> Vec<u8> {
            let mut out = Vec::new();
            // The builder starts from level 0 (uncompressed), unlike `SaveOptions::default()`.
            let options = SaveOptions::builder()
                .use_object_streams(true)
                .use_xref_streams(true)
                .max_objects_per_stream(100)
                .compression_level(6)
                .build();
            doc.save_with_options(&mut out, options).unwrap();
            out
        }

        pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
            haystack.windows(needle.len()).any(|w| w == needle)
        }

        /// A one-page PDF assembled by hand whose page has a link annotation with action object
        /// 4, `object`. With `filters`, object 4 is packed in object stream 5,
        /// encoded with those filters (in decoding order); without, it is a plain object. The
        /// cross-reference data is a stream (uncompressed), as PDF 1.5 writes it.
        pub fn assembled(object: &[u8], filters: Option<&[&str]>) -> Vec<u8> {
            let mut out = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
            let mut offsets = [0u32; 7];
            let put = |out: &mut Vec<u8>, offsets: &mut [u32; 7], id: usize, body: &[u8]| {
                offsets[id] = out.len() as u32;
                out.extend_from_slice(format!("{id} 0 obj\n").as_bytes());
                out.extend_from_slice(body);
                out.extend_from_slice(b"\nendobj\n");
            };
            put(&mut out, &mut offsets, 1, b"<< /Type /Catalog /Pages 2 0 R >>");
            put(&mut out, &mut offsets, 2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
            let link = b"<< /Type /Annot /Subtype /Link /Rect [0 0 99 99] /A 4 0 R >>";
            let page = [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [".as_slice(), link, b"] >>"];
            put(&mut out, &mut offsets, 3, &page.concat());
            match filters {
                None => put(&mut out, &mut offsets, 4, object),
                Some(filters) => {
                    // Trailing white space, so that deflate codes the object rather than storing it.
                    let plain = [b"4 0 ".as_slice(), object, &[b' '; 200]].concat();
                    let encoded = filters.iter().rev().fold(plain, |data, filter| encode(filter, &data));
                    let names: String = filters.iter().map(|f| format!("/{f} ")).collect();
                    let dict = format!("<< /Type /ObjStm /N 1 /First 4 /Filter [{names}] /Length {} >>", encoded.len());
                    put(
                        &mut out,
                        &mut offsets,
                        5,
                        &[dict.as_bytes(), b"\nstream\n", &encoded, b"\nendstream"].concat(),
                    );
                }
            }
            // Cross-reference stream, /W [1 4 2]: type, offset (or container), generation (or index).
            let xref_at = out.len() as u32;
            offsets[6] = xref_at;
            let mut rows = Vec::new();
            for id in 0..7 {
                let (kind, field, index): (u8, u32, u16) = match id {
                    0 => (0, 0, 65535),
                    4 if filters.is_some() => (2, 5, 0),
                    5 if filters.is_none() => (0, 0, 0),
                    id => (1, offsets[id], 0),
                };
                rows.push(kind);
                rows.extend_from_slice(&field.to_be_bytes());
                rows.extend_from_slice(&index.to_be_bytes());
            }
            let dict = format!("<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length {} >>", rows.len());
            put(&mut out, &mut offsets, 6, &[dict.as_bytes(), b"\nstream\n", &rows, b"\nendstream"].concat());
            out.extend_from_slice(format!("startxref\n{xref_at}\n%%EOF\n").as_bytes());
            out
        }

        /// Encodes `data` with one PDF filter.
        pub fn encode(filter: &str, data: &[u8]) -> Vec<u8> {
            match filter {
                "FlateDecode" => miniz_oxide::deflate::compress_to_vec_zlib(data, 6),
                "ASCIIHexDecode" => {
                    let mut hex: Vec<u8> = data.iter().flat_map(|b| format!("{b:02X}").into_bytes()).collect();
                    hex.push(b'>');
                    hex
                }
                "ASCII85Decode" => {
                    let mut out = Vec::new();
                    for chunk in data.chunks(4) {
                        let mut group = [0u8; 4];
                        group[..chunk.len()].copy_from_slice(chunk);
                        let mut value = u32::from_be_bytes(group);
                        let mut digits = [0u8; 5];
                        for digit in digits.iter_mut().rev() {
                            *digit = (value % 85) as u8 + b'!';
                            value /= 85;
                        }
                        out.extend_from_slice(&digits[..chunk.len() + 1]);
                    }
                    out.extend_from_slice(b"~>");
                    out
                }
                "RunLengthDecode" => {
                    // Literal runs of one byte each, so that no name is left whole.
                    let mut out = Vec::new();
                    for chunk in data.chunks(1) {
                        out.push((chunk.len() - 1) as u8);
                        out.extend_from_slice(chunk);
                    }
                    out.push(128);
                    out
                }
                other => panic!("no encoder for {other}"),
            }
        }
    }

    /// A harmless action for [`pdfs::assembled`]: go to the page.
    const GOTO: &[u8] = b"<< /S /GoTo /D [3 0 R /Fit] >>";
    const UNREADABLE: &str = "PDF 文件无法完整解析，请重新扫描或导出后上传";
    const ACTIVE: &str = "PDF 中含有脚本、动作或嵌入文件，出于安全原因不予接收";
    const TOO_LARGE: &str = "PDF 压缩内容过大，无法检查";

    /// The message of a refusal with 415.
    fn refused(bytes: &[u8]) -> String {
        let e = check_attachment(bytes).unwrap_err();
        assert_eq!((e.status(), e.code), (415, Code::UnsupportedMediaType), "{e:?}");
        e.message.to_string()
    }

    #[test]
    fn attachments_are_sized_and_signed() {
        assert_eq!(check_attachment(b"").unwrap_err().field, Some("attachment"));
        assert_eq!(check_attachment(b"").unwrap_err().status(), 422);
        assert_eq!(refused(b"MZ\x90\x00 executable"), "合同附件只接受 PDF 扫描件");
        assert_eq!(refused(b"PK\x03\x04 word/document.xml"), "合同附件只接受 PDF 扫描件");
        let big = [b"%PDF-".as_slice(), &vec![b' '; MAX_ATTACHMENT_BYTES]].concat();
        assert_eq!(check_attachment(&big).unwrap_err().status(), 413);
    }

    #[test]
    fn plain_scans_are_accepted() {
        let (doc, catalog_id, _) = pdfs::scan();
        check_attachment(&pdfs::save(doc.clone())).unwrap();
        check_attachment(&pdfs::save_packed(doc.clone())).unwrap();
        // Opening at the first page is fine, as an array or as a GoTo action.
        let mut opens = doc.clone();
        let page = opens.page_iter().next().unwrap();
        let destination = Object::Array(vec![page.into(), "Fit".into()]);
        opens.get_dictionary_mut(catalog_id).unwrap().set("OpenAction", destination.clone());
        check_attachment(&pdfs::save(opens.clone())).unwrap();
        let goto = dictionary! { "S" => "GoTo", "D" => destination };
        let goto_id = opens.add_object(goto);
        opens.get_dictionary_mut(catalog_id).unwrap().set("OpenAction", goto_id);
        check_attachment(&pdfs::save_packed(opens)).unwrap();
        // The hand-assembled files parse: what refuses them below is their content.
        for filters in [None, Some(["FlateDecode"].as_slice()), Some(&["ASCII85Decode", "FlateDecode"])] {
            check_attachment(&pdfs::assembled(GOTO, filters)).unwrap();
        }
    }

    use lopdf::{Dictionary, Object, Stream, dictionary};

    /// The scan with `change` applied, saved plainly and with object streams: both refused as
    /// active content (and the scan without the change passes, above).
    fn assert_active(change: impl Fn(&mut lopdf::Document, lopdf::ObjectId, lopdf::ObjectId)) {
        let (mut doc, catalog_id, page_id) = pdfs::scan();
        change(&mut doc, catalog_id, page_id);
        assert_eq!(refused(&pdfs::save(doc.clone())), ACTIVE);
        assert_eq!(refused(&pdfs::save_packed(doc)), ACTIVE);
    }

    fn link(action: Dictionary) -> impl Fn(&mut lopdf::Document, lopdf::ObjectId, lopdf::ObjectId) {
        move |doc, _, page_id| {
            let annotation = doc.add_object(dictionary! {
                "Type" => "Annot", "Subtype" => "Link", "Rect" => vec![0.into(), 0.into(), 100.into(), 100.into()],
                "A" => action.clone(),
            });
            doc.get_dictionary_mut(page_id).unwrap().set("Annots", vec![annotation.into()]);
        }
    }

    #[test]
    fn scripts_are_refused() {
        let script = || dictionary! { "S" => "JavaScript", "JS" => Object::string_literal("app.alert(1)") };
        assert_active(|doc, catalog_id, _| doc.get_dictionary_mut(catalog_id).unwrap().set("OpenAction", script()));
        // The same action as an indirect object: with object streams it is packed and compressed.
        assert_active(|doc, catalog_id, _| {
            let action = doc.add_object(script());
            doc.get_dictionary_mut(catalog_id).unwrap().set("OpenAction", action);
        });
        let (mut doc, catalog_id, _) = pdfs::scan();
        let action = doc.add_object(script());
        doc.get_dictionary_mut(catalog_id).unwrap().set("OpenAction", action);
        let packed = pdfs::save_packed(doc);
        assert!(!pdfs::contains(&packed, b"JavaScript"), "the script is inside a compressed object stream");
        assert_eq!(refused(&packed), ACTIVE);
        // Document-level scripts in the name tree.
        assert_active(|doc, catalog_id, _| {
            let tree = dictionary! { "Names" => vec![Object::string_literal("x"), script().into()] };
            doc.get_dictionary_mut(catalog_id).unwrap().set("Names", dictionary! { "JavaScript" => tree });
        });
        // A named action on opening is not a destination either.
        assert_active(|doc, catalog_id, _| {
            doc.get_dictionary_mut(catalog_id)
                .unwrap()
                .set("OpenAction", dictionary! { "S" => "Named", "N" => "Print" })
        });
        // Nor a GoTo that chains another action.
        assert_active(|doc, catalog_id, page_id| {
            let next = dictionary! { "S" => "Named", "N" => "Print" };
            let goto = dictionary! { "S" => "GoTo", "D" => vec![page_id.into(), "Fit".into()], "Next" => next };
            doc.get_dictionary_mut(catalog_id).unwrap().set("OpenAction", goto)
        });
    }

    #[test]
    fn actions_that_leave_the_document_are_refused() {
        let file = || Object::string_literal("C:\\Windows\\System32\\calc.exe");
        assert_active(link(dictionary! { "S" => "Launch", "F" => file() }));
        assert_active(link(dictionary! { "S" => "URI", "URI" => Object::string_literal("https://example.com/x") }));
        assert_active(link(dictionary! { "S" => "SubmitForm", "F" => Object::string_literal("https://example.com/") }));
        assert_active(link(dictionary! { "S" => "ImportData", "F" => file() }));
        assert_active(link(dictionary! { "S" => "GoToR", "F" => file(), "D" => vec![0.into(), "Fit".into()] }));
        // Additional actions on a page, even harmless-looking ones.
        assert_active(|doc, _, page_id| {
            let open = dictionary! { "S" => "GoTo", "D" => vec![page_id.into(), "Fit".into()] };
            doc.get_dictionary_mut(page_id).unwrap().set("AA", dictionary! { "O" => open });
        });
    }

    #[test]
    fn forms_media_and_files_are_refused() {
        assert_active(|doc, catalog_id, _| {
            let xfa = doc.add_object(Stream::new(dictionary! {}, b"<xdp:xdp></xdp:xdp>".to_vec()));
            let form = dictionary! { "Fields" => Vec::<Object>::new(), "XFA" => xfa };
            doc.get_dictionary_mut(catalog_id).unwrap().set("AcroForm", form);
        });
        assert_active(|doc, _, page_id| {
            let media = doc.add_object(dictionary! {
                "Type" => "Annot", "Subtype" => "RichMedia", "Rect" => vec![0.into(), 0.into(), 10.into(), 10.into()],
            });
            doc.get_dictionary_mut(page_id).unwrap().set("Annots", vec![media.into()]);
        });
        let embedded = |doc: &mut lopdf::Document| {
            let file = doc.add_object(Stream::new(dictionary! { "Type" => "EmbeddedFile" }, b"MZ\x90\x00".to_vec()));
            dictionary! { "Type" => "Filespec", "F" => Object::string_literal("a.exe"), "EF" => dictionary! { "F" => file } }
        };
        assert_active(move |doc, catalog_id, _| {
            let spec = embedded(doc);
            let tree = dictionary! { "Names" => vec![Object::string_literal("a.exe"), spec.into()] };
            doc.get_dictionary_mut(catalog_id).unwrap().set("Names", dictionary! { "EmbeddedFiles" => tree });
        });
        // A file specification with /EF anywhere, here only in an unreachable object.
        assert_active(move |doc, _, _| {
            let spec = embedded(doc);
            doc.add_object(spec);
        });
    }

    #[test]
    fn scripts_hidden_in_encoded_object_streams_are_refused() {
        let script = b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>";
        assert_eq!(refused(&pdfs::assembled(script, None)), ACTIVE);
        for filters in [
            ["FlateDecode"].as_slice(),
            &["ASCIIHexDecode"],
            &["ASCII85Decode"],
            &["RunLengthDecode"],
            &["ASCII85Decode", "FlateDecode"],
            &["ASCIIHexDecode", "FlateDecode", "FlateDecode"],
        ] {
            let pdf = pdfs::assembled(script, Some(filters));
            assert!(!pdfs::contains(&pdf, b"JavaScript"), "{filters:?} hides the name");
            assert_eq!(refused(&pdf), ACTIVE, "{filters:?}");
            check_attachment(&pdfs::assembled(GOTO, Some(filters))).unwrap();
        }
    }

    #[test]
    fn names_are_compared_decoded() {
        for escaped in [b"<< /S /J#61vaScript /#4A#53 (x) >>".as_slice(), b"<< /S /#4A#61#76#61#53#63#72#69#70#74 >>"] {
            let plain = pdfs::assembled(escaped, None);
            assert!(!pdfs::contains(&plain, b"JavaScript"));
            assert_eq!(refused(&plain), ACTIVE);
            assert_eq!(refused(&pdfs::assembled(escaped, Some(&["FlateDecode"]))), ACTIVE);
        }
        // A key spelled with an escape is the same key.
        assert_eq!(refused(&pdfs::assembled(b"<< /S /GoTo /D [3 0 R /Fit] /A#41 << >> >>", None)), ACTIVE);
        // Bytes outside printable ASCII end a name for the comparison: readers differ there.
        assert_eq!(refused(&pdfs::assembled(b"<< /S /JavaScript\x8f\x8f >>", None)), ACTIVE);
        assert_eq!(refused(&pdfs::assembled(b"<< /S /Launch#00 >>", Some(&["FlateDecode"]))), ACTIVE);
        // Names that merely begin like refused ones are not refused.
        check_attachment(&pdfs::assembled(b"<< /S /GoTo /D [3 0 R /Fit] /JSX 1 /URIs /Launcher >>", None)).unwrap();
    }

    #[test]
    fn objects_no_cross_reference_lists_are_checked() {
        // An object after the last one listed, which a reader rebuilding the table would find.
        let pdf = pdfs::assembled(GOTO, None);
        let at = pdf.windows(9).rposition(|w| w == b"startxref").unwrap();
        let mut orphan = pdf.clone();
        orphan.splice(at..at, b"7 0 obj\n<< /S /JavaScript /JS (app.alert\\(1\\)) >>\nendobj\n".iter().copied());
        let listed = lopdf::Document::load_mem(&orphan).unwrap();
        assert!(listed.objects.keys().all(|id| id.0 != 7), "the cross-reference data does not list it");
        assert_eq!(refused(&orphan), ACTIVE);
    }

    #[test]
    fn unreadable_files_are_refused() {
        let scan = pdfs::save(pdfs::scan().0);
        for cut in [scan.len() / 4, scan.len() / 2, scan.len() - 40] {
            assert_eq!(refused(&scan[..cut]), UNREADABLE, "cut at {cut}");
        }
        assert_eq!(refused(b"%PDF-1.7\n\x00\x01garbage \xff\xfe [[[ << /Type"), UNREADABLE);
        assert_eq!(refused(b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF"), UNREADABLE, "no catalog, no pages");
        // Cross-reference data pointing nowhere, and nothing to rebuild it from.
        let xref = b"%PDF-1.4\nxref\n0 2\n0000000000 65535 f \n0000009999 00000 n \ntrailer\n<< /Size 2 /Root 1 0 R >>\nstartxref\n9\n%%EOF\n";
        assert_eq!(refused(xref), UNREADABLE);
        // An object the cross-reference stream lists that does not parse: lopdf loads the file
        // (skipping the object), the check does not.
        let broken = pdfs::assembled(b"<< /S /GoTo /D [3 0 R /Fit] ", None);
        assert!(lopdf::Document::load_mem(&broken).is_ok());
        assert_eq!(refused(&broken), UNREADABLE);
        // Broken object streams: an entry that does not parse, a count that does not match.
        let pdf = pdfs::assembled(b"<< /S /GoTo ", Some(&["FlateDecode"]));
        assert_eq!(refused(&pdf), UNREADABLE);
    }

    #[test]
    fn streams_must_decode() {
        let with_content = |dict: Dictionary, body: Vec<u8>| {
            let (mut doc, _, page_id) = pdfs::scan();
            let content = doc.add_object(Stream::new(dict, body));
            doc.get_dictionary_mut(page_id).unwrap().set("Contents", content);
            pdfs::save(doc)
        };
        let flate = pdfs::encode("FlateDecode", &b"q 1 0 0 1 0 0 cm Q\n".repeat(40));
        check_attachment(&with_content(dictionary! { "Filter" => "FlateDecode" }, flate.clone())).unwrap();
        // lopdf alone reads these files: it keeps what it can inflate of a broken stream.
        let garbage = with_content(dictionary! { "Filter" => "FlateDecode" }, b"not zlib at all".to_vec());
        assert!(lopdf::Document::load_mem(&garbage).is_ok());
        assert_eq!(refused(&garbage), UNREADABLE);
        let mut corrupt = flate.clone();
        let middle = corrupt.len() / 2;
        corrupt[middle..].iter_mut().for_each(|b| *b ^= 0x55);
        assert_eq!(refused(&with_content(dictionary! { "Filter" => "FlateDecode" }, corrupt)), UNREADABLE);
        let truncated = flate[..flate.len() - 6].to_vec();
        assert_eq!(refused(&with_content(dictionary! { "Filter" => "FlateDecode" }, truncated)), UNREADABLE);
        assert_eq!(refused(&with_content(dictionary! { "Filter" => "ASCIIHexDecode" }, b"4g>".to_vec())), UNREADABLE);
        // Filters lopdf cannot decode, or image filters in the middle of a chain.
        assert_eq!(refused(&with_content(dictionary! { "Filter" => "Crypt" }, b"x".to_vec())), UNREADABLE);
        assert_eq!(refused(&with_content(dictionary! { "Filter" => "Fl" }, flate.clone())), UNREADABLE);
        let chain = Object::Array(vec!["DCTDecode".into(), "FlateDecode".into()]);
        assert_eq!(refused(&with_content(dictionary! { "Filter" => chain }, flate)), UNREADABLE);
        // Flate before an image filter is decoded; the image data is not.
        let image = pdfs::encode("FlateDecode", b"\xFF\xD8\xFF\xD9");
        let chain = Object::Array(vec!["FlateDecode".into(), "DCTDecode".into()]);
        check_attachment(&with_content(dictionary! { "Filter" => chain.clone() }, image)).unwrap();
        let chain_garbage = with_content(dictionary! { "Filter" => chain }, b"garbage".to_vec());
        assert_eq!(refused(&chain_garbage), UNREADABLE);
    }

    #[test]
    fn decompression_bombs_are_refused() {
        let bomb = |size: usize, streams: usize| {
            let (mut doc, _, page_id) = pdfs::scan();
            let packed = pdfs::encode("FlateDecode", &vec![b' '; size]);
            let contents: Vec<Object> = (0..streams)
                .map(|_| doc.add_object(Stream::new(dictionary! { "Filter" => "FlateDecode" }, packed.clone())).into())
                .collect();
            doc.get_dictionary_mut(page_id).unwrap().set("Contents", contents);
            pdfs::save(doc)
        };
        let one = bomb(MAX_DECODED_BYTES + 1, 1);
        assert!(one.len() < MAX_ATTACHMENT_BYTES / 10);
        assert_eq!(refused(&one), TOO_LARGE);
        // Each below the budget, together over it.
        check_attachment(&bomb(MAX_DECODED_BYTES / 5, 4)).unwrap();
        assert_eq!(refused(&bomb(MAX_DECODED_BYTES / 5, 6)), TOO_LARGE);
        // Object streams are parsed, so they get a smaller budget.
        let objects = format!("[{}]", "0 ".repeat(MAX_OBJECT_STREAM_BYTES / 2 + 1));
        assert_eq!(refused(&pdfs::assembled(objects.as_bytes(), Some(&["FlateDecode"]))), TOO_LARGE);
    }

    #[test]
    fn encrypted_files_are_refused() {
        // lopdf cannot open this one (no password is right), so its objects are not checked.
        let mut pdf = pdfs::assembled(GOTO, None);
        let at = pdf.windows(11).rposition(|w| w == b"/Root 1 0 R").unwrap();
        let encrypt = b" /Encrypt << /Filter /Standard /V 1 /R 2 /O <00> /U <00> /P -4 >>";
        pdf.splice(at..at, encrypt.iter().copied());
        assert_eq!(refused(&pdf), "PDF 文件已加密，无法检查，请去除密码保护后上传");
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_pdf_bytes_never_panic(tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2048)) {
            let bytes = [b"%PDF-".as_slice(), &tail].concat();
            if let Err(e) = check_attachment(&bytes) {
                proptest::prop_assert!(e.status() == 415 || e.status() == 413, "{e:?}");
            }
        }

        #[test]
        fn damaged_scans_never_panic(edits in proptest::collection::vec((0usize..4096, proptest::prelude::any::<u8>()), 1..8), cut in 0usize..4096) {
            let mut bytes = pdfs::save_packed(pdfs::scan().0);
            for (at, byte) in edits {
                let at = 5 + at % (bytes.len() - 5);
                bytes[at] = byte;
            }
            bytes.truncate(5 + cut % (bytes.len() - 4));
            if let Err(e) = check_attachment(&bytes) {
                proptest::prop_assert_eq!(e.status(), 415, "{:?}", e);
            }
        }
    }

    #[test]
    fn milestones_and_project_acceptance() {
        let amount = AmountWan::parse("30").unwrap();
        let m = MilestoneInput {
            name: "中试".into(),
            due_on: d("2027-01-01"),
            deliverable: "中试报告".into(),
            payment_wan: AmountWan::parse("31").ok(),
        };
        assert_eq!(m.validate(amount).unwrap_err().code, Code::InvalidAmount);
        assert!(milestone_overdue(MilestoneStatus::Open, d("2026-11-01"), d("2026-11-25")));
        assert!(!milestone_overdue(MilestoneStatus::Accepted, d("2026-11-01"), d("2026-11-25")));
        assert!(!milestone_overdue(MilestoneStatus::Open, d("2026-11-25"), d("2026-11-25")));
        use MilestoneStatus::{Accepted, Open};
        assert_eq!(project_status(&[]), ProjectStatus::Ongoing);
        assert_eq!(project_status(&[Accepted, Open]), ProjectStatus::Ongoing);
        assert_eq!(project_status(&[Accepted, Accepted]), ProjectStatus::Accepted);
    }
}
