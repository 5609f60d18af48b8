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
/// and carry no active content (scripts, launch actions, embedded files).
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
    let refused = || Error::new(Code::UnsupportedMediaType, "PDF 中含有脚本或嵌入文件，出于安全原因不予接收");
    if has_active_name(bytes) {
        return Err(refused());
    }
    // Names can also hide in compressed streams (object streams of PDF 1.5+): inflate each
    // Flate stream, within a budget so that a small "zip bomb" cannot exhaust memory.
    let mut budget = MAX_INFLATED_BYTES;
    for stream in pdf_streams(bytes) {
        let inflated = match miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(stream, budget) {
            Ok(inflated) => inflated,
            Err(e) if e.status == miniz_oxide::inflate::TINFLStatus::HasMoreOutput => {
                return Err(Error::new(Code::UnsupportedMediaType, "PDF 压缩内容过大，无法检查"));
            }
            Err(_) => continue, // not Flate data, e.g. the scanned pages' JPEG images
        };
        if has_active_name(&inflated) {
            return Err(refused());
        }
        budget -= inflated.len();
    }
    Ok(())
}

/// Total bytes the attachment check inflates at most.
const MAX_INFLATED_BYTES: usize = 64 * 1024 * 1024;

/// Names that make a PDF act rather than show (scripts, launching programs, embedded files).
const ACTIVE_NAMES: [&[u8]; 5] = [b"JavaScript", b"JS", b"Launch", b"EmbeddedFile", b"RichMedia"];

/// Whether any PDF name in `bytes` begins with an active one, after decoding `#xx` escapes
/// (`/J#61vaScript` is `/JavaScript`). Prefixes count too: readers differ in how they treat
/// bytes a name should not contain, and a refused scan costs less than a script that runs.
fn has_active_name(bytes: &[u8]) -> bool {
    let is_delimiter = |b: u8| b.is_ascii_whitespace() || b"()<>[]{}/%".contains(&b) || b == 0;
    let mut at = 0;
    while let Some(offset) = bytes[at..].iter().position(|b| *b == b'/') {
        let start = at + offset + 1;
        let end = bytes[start..].iter().position(|b| is_delimiter(*b)).map_or(bytes.len(), |n| start + n);
        let raw = &bytes[start..end];
        let name: Vec<u8> = if raw.contains(&b'#') { decode_name(raw) } else { raw.to_vec() };
        if ACTIVE_NAMES.iter().any(|active| name.starts_with(active)) {
            return true;
        }
        at = end.max(start);
    }
    false
}

fn decode_name(raw: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match (raw[i], raw.get(i + 1).copied().and_then(hex), raw.get(i + 2).copied().and_then(hex)) {
            (b'#', Some(high), Some(low)) => {
                out.push(high << 4 | low);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// The raw data of each `stream … endstream` in a PDF.
fn pdf_streams(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let find = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).position(|w| w == needle);
    let mut rest = bytes;
    std::iter::from_fn(move || {
        let start = find(rest, b"stream")? + b"stream".len();
        let mut body = &rest[start..];
        // The keyword is followed by CRLF or LF before the data.
        body = body.strip_prefix(b"\r\n").or_else(|| body.strip_prefix(b"\n")).unwrap_or(body);
        let end = find(body, b"endstream").unwrap_or(body.len());
        let data = &body[..end];
        rest = &body[end..];
        // Skip past "endstream" so that it is not read again as "stream".
        rest = rest.get(b"endstream".len()..).unwrap_or_default();
        Some(data)
    })
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

    #[test]
    fn attachments_must_be_plain_pdfs() {
        assert!(check_attachment(b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF").is_ok());
        assert_eq!(check_attachment(b"MZ\x90\x00 executable").unwrap_err().status(), 415);
        assert_eq!(check_attachment(b"%PDF-1.7 /OpenAction << /S /JavaScript >>").unwrap_err().status(), 415);
        assert_eq!(check_attachment(b"").unwrap_err().status(), 422);
        // Escaped names are decoded before the check.
        assert_eq!(check_attachment(b"%PDF-1.7 << /S /J#61vaScript >>").unwrap_err().status(), 415);
        assert_eq!(check_attachment(b"%PDF-1.7 << /S /#4A#53 >>").unwrap_err().status(), 415);
        assert!(check_attachment(b"%PDF-1.7 << /NoJS 1 /Type /XObject >>").is_ok(), "names that begin otherwise pass");
        assert_eq!(check_attachment(b"%PDF-1.7 << /S /JavaScript\x8f >>").unwrap_err().status(), 415);
        // A script inside a compressed object stream is found, a plain one passes.
        let pdf = |content: &[u8]| {
            let packed = miniz_oxide::deflate::compress_to_vec_zlib(content, 6);
            [
                b"%PDF-1.7\n5 0 obj << /Type /ObjStm /Filter /FlateDecode >>\nstream\r\n".as_slice(),
                &packed,
                b"\nendstream\nendobj\n%%EOF",
            ]
            .concat()
        };
        assert_eq!(
            check_attachment(&pdf(b"<< /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>")).unwrap_err().status(),
            415
        );
        assert!(check_attachment(&pdf(b"<< /Type /Page /MediaBox [0 0 595 842] >>")).is_ok());
        // A small stream that inflates past the budget is refused, not skipped.
        let bomb = pdf(&vec![b' '; MAX_INFLATED_BYTES + 1]);
        assert!(bomb.len() < MAX_ATTACHMENT_BYTES);
        assert_eq!(check_attachment(&bomb).unwrap_err().status(), 415);
        let big = [b"%PDF-".as_slice(), &vec![b' '; MAX_ATTACHMENT_BYTES]].concat();
        assert_eq!(check_attachment(&big).unwrap_err().status(), 413);
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
