//! One ranker: `GET /api/v1/{kind}/{id}/matches` and `kejiyun match eval` (the tools crate's
//! `rank_needs`, which the published nDCG comes from) rank the same items in the same order for
//! the same item and corpus — among them a need that asks for on-site service (驻厂服务) in one
//! county, whose list the local boost reorders.

use kejiyun_domain::Item;
use kejiyun_tools::match_eval::{Ranked, Ranking, rank_needs};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::TestApp;

crate::on_both_backends!(server_and_match_eval_rank_alike);

/// Publishes `body` as `kind` for `owner` (approved by `admin`); returns its id.
async fn publish(app: &TestApp, admin: &str, owner: &str, kind: &str, body: Value) -> i64 {
    let (status, item) = app.post(&format!("/api/v1/{kind}?submit=true"), Some(owner), body).await;
    assert_eq!(status, StatusCode::CREATED, "{item}");
    let id = item["id"].as_i64().unwrap();
    let (status, reviewed) =
        app.post(&format!("/api/v1/{kind}/{id}/review"), Some(admin), json!({"decision": "approve"})).await;
    assert_eq!(status, StatusCode::OK, "{reviewed}");
    id
}

fn offer(title: &str, description: &str, industry: &str, keywords: &[&str], region: &str) -> Value {
    json!({"title": title, "description": description, "industry": industry, "keywords": keywords,
           "region_code": region})
}

fn ids(list: &[kejiyun_domain::matching::Suggestion]) -> Vec<i64> {
    list.iter().map(|s| s.id).collect()
}

async fn server_and_match_eval_rank_alike(app: &TestApp) {
    let admin = app.admin("admin_rank", "510000").await;
    let org = app.user("org", "org_rank", "510321").await;
    let rong = app.user("expert", "expert_rong", "510321").await;
    let zigong = app.user("expert", "expert_zg", "510302").await;
    let chengdu = app.user("expert", "expert_cd", "510104").await;
    let luzhou = app.user("expert", "expert_lz", "510502").await;

    // Offers of distinct wording (no two score alike), near and far from 荣县.
    let offers = [
        (
            "capabilities",
            &chengdu,
            offer(
                "白酒蒸馏设备故障诊断与维修",
                "为酒厂提供蒸馏设备、冷凝器和蒸汽管路的故障诊断与维修，常见故障当天定位。",
                "白酒",
                &["蒸馏设备", "故障诊断", "维修"],
                "510104",
            ),
        ),
        (
            "capabilities",
            &luzhou,
            offer(
                "酿酒蒸馏系统检修与节能改造",
                "对酿酒蒸馏系统开展定期检修、密封更换和蒸汽节能改造，降低停机时间。",
                "白酒",
                &["蒸馏", "检修", "节能"],
                "510502",
            ),
        ),
        (
            "capabilities",
            &zigong,
            offer(
                "酒厂设备维护保养服务",
                "承接酒厂甑桶、冷却器等设备的日常维护保养和故障排查。",
                "白酒",
                &["设备维护", "故障排查"],
                "510302",
            ),
        ),
        (
            "capabilities",
            &rong,
            offer(
                "小型酒坊设备检修指导",
                "为小型酒坊提供蒸馏甑和冷却设备的检修指导与操作培训。",
                "白酒",
                &["检修", "酒坊"],
                "510321",
            ),
        ),
        (
            "capabilities",
            &chengdu,
            offer(
                "食品厂蒸汽锅炉安全检测",
                "食品加工企业蒸汽锅炉和压力管道的安全检测与隐患排查。",
                "食品加工",
                &["锅炉", "安全检测"],
                "510104",
            ),
        ),
        (
            "capabilities",
            &zigong,
            offer(
                "井盐卤水提锂工艺",
                "从井盐卤水中分离提取锂等有价元素的工艺开发与放大。",
                "盐化工",
                &["卤水", "提锂"],
                "510302",
            ),
        ),
        (
            "capabilities",
            &luzhou,
            offer(
                "白酒丢糟固态发酵饲料化",
                "利用白酒丢糟固态发酵生产蛋白饲料，已在多家酒厂应用。",
                "白酒",
                &["丢糟", "饲料"],
                "510502",
            ),
        ),
        (
            "capabilities",
            &rong,
            offer(
                "酒糟有机肥堆肥技术",
                "酒糟与畜禽粪便混合堆肥生产有机肥，解决酒厂废渣臭味问题。",
                "白酒",
                &["酒糟", "有机肥"],
                "510321",
            ),
        ),
        (
            "achievements",
            &chengdu,
            json!({"title": "一种白酒蒸馏设备的在线故障监测装置", "abstract": "通过温度压力传感器在线监测蒸馏设备运行状态，提前预警故障。", "industry": "白酒", "keywords": ["蒸馏设备", "故障监测"], "achievement_type": "invention_patent", "patent_no": "ZL202310000001.1", "region_code": "510104"}),
        ),
        (
            "achievements",
            &zigong,
            json!({"title": "酒糟蛋白饲料的制备方法", "abstract": "以白酒丢糟为原料经复合菌发酵制备蛋白饲料的方法。", "industry": "白酒", "keywords": ["酒糟", "蛋白饲料"], "achievement_type": "invention_patent", "patent_no": "ZL202310000002.2", "region_code": "510302"}),
        ),
    ];
    for (kind, owner, body) in offers {
        publish(app, &admin, owner, kind, body).await;
    }
    // Asks for on-site work through the 驻厂服务 mode only: its text has none of the local words.
    let onsite = publish(
        app,
        &admin,
        &org,
        "needs",
        json!({"title": "酿酒蒸馏设备经常出故障", "industry": "白酒", "keywords": ["蒸馏设备", "故障", "维修"],
               "description": "我们酒厂的蒸馏设备和冷却器经常出故障，停机影响生产，想找懂行的专家诊断维修并培训工人。",
               "cooperation_modes": ["onsite", "consulting"]}),
    )
    .await;
    let feed = publish(
        app,
        &admin,
        &org,
        "needs",
        json!({"title": "酒糟堆在厂里发臭想变废为宝", "industry": "白酒", "keywords": ["酒糟", "饲料"],
               "description": "酒厂每天出几十吨酒糟，堆着发臭，想做成饲料或者肥料卖掉。"}),
    )
    .await;

    // tantivy counts deleted documents in its statistics until segments merge, and the server's
    // index re-applies its own writes from the change log: once it has caught up with the log
    // (on PostgreSQL a fresh write may wait there up to 5 s), rebuild it from the database (as
    // `kejiyun reindex` does) so that it holds exactly what the throw-away index of the
    // evaluation holds, and no late replay follows.
    let last = app.state.db.last_change_seq().await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while app.state.search.applied_seq().is_none_or(|seq| seq < last) {
        assert!(std::time::Instant::now() < deadline, "the index did not follow the change log to {last}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    kejiyun_server::platform::indexing::rebuild(&app.state).await.unwrap();
    let corpus: Vec<Item> = app.state.db.published_items_after(0, 1000).await.unwrap();
    assert_eq!(corpus.len(), 12);

    let ranking = Ranking::shipped(10);
    let evaluated: Vec<Ranked> = rank_needs(&corpus, &corpus, &ranking).await.unwrap();
    for (item, expected) in corpus.iter().zip(&evaluated) {
        let path = format!("/api/v1/{}/{}/matches?limit=10", item.kind.slug(), item.id);
        let (status, served) = app.get(&path, None).await;
        assert_eq!(status, StatusCode::OK, "{served}");
        let served: Vec<(String, i64, Vec<String>)> = served
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let reasons = s["reasons"].as_array().unwrap().iter().map(|r| r.as_str().unwrap().to_string());
                (s["kind"].as_str().unwrap().to_string(), s["id"].as_i64().unwrap(), reasons.collect())
            })
            .collect();
        let wanted: Vec<(String, i64, Vec<String>)> = expected
            .suggestions
            .iter()
            .map(|s| (json!(s.kind).as_str().unwrap().to_string(), s.id, s.reasons.clone()))
            .collect();
        assert_eq!(served, wanted, "matches of {} {}《{}》", item.kind.code(), item.id, item.title);
    }

    // The case the evaluation used to miss: the on-site need favours its own county and city.
    let need = corpus.iter().find(|i| i.id == onsite).unwrap();
    let served = &evaluated[corpus.iter().position(|i| i.id == onsite).unwrap()].suggestions;
    assert!(served.len() >= 6, "{served:?}");
    assert_eq!(served[0].region_code, "510321", "the county's own offer first: {served:?}");
    assert!(served[0].reasons.contains(&"同在荣县".to_string()), "{served:?}");
    // Without the mode the same need ranks differently, so an evaluation that skipped the
    // 驻厂服务 mode would fail the comparison above.
    let plain = Item { modes: Vec::new(), ..need.clone() };
    let unboosted = rank_needs(&corpus, &[plain], &ranking).await.unwrap();
    assert_ne!(ids(&unboosted[0].suggestions), ids(served), "the local boost must change this list");
    assert_ne!(unboosted[0].suggestions[0].region_code, "510321", "{:?}", unboosted[0].suggestions);

    // A need without local wishes gets no boost: its list is the same either way.
    let other = corpus.iter().find(|i| i.id == feed).unwrap();
    let local = Item { region_code: "510104".into(), ..other.clone() };
    let moved = rank_needs(&corpus, &[other.clone(), local], &ranking).await.unwrap();
    assert_eq!(ids(&moved[0].suggestions), ids(&moved[1].suggestions));
    assert!(!moved[0].suggestions.is_empty());

    // The experts behind the offers come from one query for all of them.
    let owners: Vec<i64> = corpus.iter().map(|i| i.owner_id).collect();
    let users = app.state.db.users_by_ids(&owners).await.unwrap();
    assert_eq!(users.len(), 5, "the organisation and four experts, each once");
    assert!(app.state.db.users_by_ids(&[]).await.unwrap().is_empty());
}
