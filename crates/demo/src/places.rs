//! Where the demo's people and organisations are: the 21 prefectures of Sichuan with the industries they
//! are known for (and the counties those industries sit in), and the employers of experts.

use crate::industries::Ind::{self, *};

pub(crate) struct Prefecture {
    pub code: &'static str,
    /// How many enterprises of the demo are here, roughly by economic weight (they sum to 100).
    pub enterprises: usize,
    /// Local industries and their typical counties (empty = any county of the prefecture). The first
    /// is the place's signature industry and twice as likely as each of the others.
    pub industries: &'static [(Ind, &'static [&'static str])],
}

pub(crate) static PREFECTURES: [Prefecture; 21] = [
    Prefecture {
        code: "510100",
        enterprises: 24,
        industries: &[
            (Aero, &["510105", "510116", "510114"]),
            (Uav, &["510116", "510107", "510118"]),
            (Pharma, &["510107", "510115", "510116"]),
            (Software, &["510107", "510104", "510108", "510106"]),
            (Electronics, &["510107", "510117", "510112"]),
            (Food, &["510117", "510121", "510182"]),
            (Citrus, &["510131", "510183"]),
            (Kiwi, &["510181", "510182"]),
            (Baijiu, &["510183"]),
            (Equipment, &["510112", "510113", "510114"]),
            (Nuclear, &["510116", "510107"]),
        ],
    },
    Prefecture {
        code: "510300",
        enterprises: 5,
        industries: &[
            (SaltChem, &["510302", "510303", "510304"]),
            (Lantern, &["510302", "510304", "510311"]),
            (Equipment, &["510302", "510311"]),
            (Uav, &["510303"]),
            (Food, &["510322", "510321"]),
        ],
    },
    Prefecture {
        code: "510400",
        enterprises: 3,
        industries: &[
            (VanTi, &["510402", "510403", "510411"]),
            (Fruit, &["510411", "510421", "510422"]),
            (Clean, &["510422", "510421"]),
        ],
    },
    Prefecture {
        code: "510500",
        enterprises: 6,
        industries: &[
            (Baijiu, &["510502", "510504", "510525", "510503"]),
            (Gas, &["510503"]),
            (Equipment, &["510504"]),
            (Tea, &["510503", "510524"]),
        ],
    },
    Prefecture {
        code: "510600",
        enterprises: 7,
        industries: &[
            (Equipment, &["510603", "510681", "510604"]),
            (Baijiu, &["510683"]),
            (Kiwi, &["510682", "510683"]),
            (Aero, &["510681"]),
            (Food, &["510623"]),
        ],
    },
    Prefecture {
        code: "510700",
        enterprises: 8,
        industries: &[
            (Electronics, &["510703", "510704"]),
            (Nuclear, &["510704", "510703"]),
            (Software, &["510703"]),
            (Aero, &["510703", "510704"]),
            (Herbs, &["510726", "510727", "510725"]),
            (Equipment, &["510781"]),
            (Food, &["510722", "510781"]),
        ],
    },
    Prefecture {
        code: "510800",
        enterprises: 2,
        industries: &[
            (Kiwi, &["510824"]),
            (Tea, &["510821", "510822"]),
            (Food, &["510802", "510823"]),
            (Herbs, &["510822", "510812"]),
        ],
    },
    Prefecture {
        code: "510900",
        enterprises: 3,
        industries: &[
            (Lithium, &["510903", "510981", "510904"]),
            (Electronics, &["510903", "510904"]),
            (Baijiu, &["510981"]),
            (Pig, &["510921", "510923"]),
            (Gas, &["510923"]),
        ],
    },
    Prefecture {
        code: "511000",
        enterprises: 3,
        industries: &[
            (Pig, &["511002", "511011", "511025", "511083"]),
            (Gas, &["511024"]),
            (Citrus, &["511025"]),
            (VanTi, &["511024"]),
        ],
    },
    Prefecture {
        code: "511100",
        enterprises: 6,
        industries: &[
            (Clean, &["511112", "511111"]),
            (SaltChem, &["511112"]),
            (Tea, &["511181", "511126", "511129"]),
            (Nuclear, &["511126", "511181"]),
            (Food, &["511102"]),
        ],
    },
    Prefecture {
        code: "511300",
        enterprises: 5,
        industries: &[
            (Silk, &["511302", "511303", "511381"]),
            (Food, &["511381", "511302", "511325"]),
            (Gas, &["511303", "511304"]),
            (Pig, &["511321", "511322", "511324"]),
            (Citrus, &["511323"]),
        ],
    },
    Prefecture {
        code: "511400",
        enterprises: 4,
        industries: &[
            (Citrus, &["511424", "511425", "511402", "511421"]),
            (Food, &["511402"]),
            (Lithium, &["511403", "511402"]),
            (Tea, &["511423"]),
        ],
    },
    Prefecture {
        code: "511500",
        enterprises: 8,
        industries: &[
            (Baijiu, &["511502", "511503", "511504"]),
            (Lithium, &["511502", "511504"]),
            (Tea, &["511527", "511525", "511529"]),
            (Gas, &["511524", "511526"]),
            (Electronics, &["511502"]),
        ],
    },
    Prefecture {
        code: "511600",
        enterprises: 2,
        industries: &[
            (Pig, &["511621", "511622", "511623"]),
            (Food, &["511602", "511621"]),
            (Electronics, &["511681", "511602"]),
            (Citrus, &["511622"]),
        ],
    },
    Prefecture {
        code: "511700",
        enterprises: 4,
        industries: &[
            (Gas, &["511722", "511703", "511725"]),
            (Pig, &["511722", "511724", "511725"]),
            (Herbs, &["511781", "511722"]),
            (Tea, &["511781"]),
            (Silk, &["511724"]),
        ],
    },
    Prefecture {
        code: "511800",
        enterprises: 2,
        industries: &[
            (Tea, &["511803", "511802", "511822"]),
            (Kiwi, &["511802", "511826"]),
            (Herbs, &["511825", "511827"]),
            (Clean, &["511824", "511823"]),
            (Food, &["511823"]),
        ],
    },
    Prefecture {
        code: "511900",
        enterprises: 2,
        industries: &[
            (Tea, &["511922", "511921"]),
            (Herbs, &["511921", "511923"]),
            (Pig, &["511902", "511903"]),
            (Food, &["511902"]),
        ],
    },
    Prefecture {
        code: "512000",
        enterprises: 2,
        industries: &[
            (Citrus, &["512021"]),
            (Pig, &["512022", "512002"]),
            (Equipment, &["512002"]),
            (Food, &["512021"]),
        ],
    },
    Prefecture {
        code: "513200",
        enterprises: 1,
        industries: &[
            (Herbs, &["513223", "513224", "513226", "513201"]),
            (Yak, &["513233", "513232", "513231"]),
            (Clean, &["513228", "513226"]),
        ],
    },
    Prefecture {
        code: "513300",
        enterprises: 1,
        industries: &[
            (Yak, &["513328", "513332", "513334"]),
            (Herbs, &["513301", "513322"]),
            (Clean, &["513301", "513324", "513325"]),
        ],
    },
    Prefecture {
        code: "513400",
        enterprises: 2,
        industries: &[
            (Fruit, &["513402", "513426", "513401", "513424"]),
            (VanTi, &["513402", "513433"]),
            (Clean, &["513401", "513423", "513427"]),
            (Herbs, &["513401", "513434"]),
        ],
    },
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EmployerKind {
    University,
    Institute,
    Company,
}

pub(crate) struct Employer {
    pub name: &'static str,
    pub county: &'static str,
    pub kind: EmployerKind,
    /// Share of experts working there.
    pub weight: u32,
    pub industries: &'static [Ind],
}

const fn employer(
    name: &'static str,
    county: &'static str,
    kind: EmployerKind,
    weight: u32,
    industries: &'static [Ind],
) -> Employer {
    Employer { name, county, kind, weight, industries }
}

use EmployerKind::{Company as C, Institute as I, University as U};

pub(crate) static EMPLOYERS: &[Employer] = &[
    employer("四川大学", "510107", U, 12, &[Pharma, Software, Equipment, Aero, Lithium, Clean, Food, Nuclear]),
    employer("西南交通大学", "510106", U, 8, &[Equipment, Software, Electronics, Uav, Aero]),
    employer("电子科技大学", "510117", U, 9, &[Electronics, Software, Uav, Aero]),
    employer("四川农业大学", "511802", U, 10, &[Citrus, Tea, Kiwi, Pig, Yak, Herbs, Food, Fruit]),
    employer("西南石油大学", "510114", U, 6, &[Gas, Clean, Lithium]),
    employer("成都理工大学", "510108", U, 6, &[Nuclear, Gas, Clean, VanTi, Uav]),
    employer("西南科技大学", "510703", U, 6, &[Nuclear, Electronics, Food, Software, Equipment]),
    employer("四川轻化工大学", "510302", U, 6, &[Baijiu, SaltChem, Equipment, Lantern, Gas]),
    employer("成都中医药大学", "510106", U, 5, &[Herbs, Pharma]),
    employer("西华大学", "510117", U, 4, &[Equipment, Food, Lantern, Uav]),
    employer("成都信息工程大学", "510116", U, 3, &[Software, Uav]),
    employer("成都大学", "510108", U, 2, &[Pharma, Food, Software]),
    employer("攀枝花学院", "510411", U, 2, &[VanTi, Fruit]),
    employer("宜宾学院", "511502", U, 4, &[Baijiu, Lithium, Tea]),
    employer("西南医科大学", "510503", U, 2, &[Pharma, Baijiu]),
    employer("四川化工职业技术学院", "510503", U, 1, &[Gas, Baijiu]),
    employer("四川工程职业技术大学", "510603", U, 2, &[Equipment]),
    employer("西昌学院", "513401", U, 1, &[Fruit, Yak, Herbs, Clean]),
    employer("乐山师范学院", "511102", U, 2, &[Clean, Tea, SaltChem]),
    employer("西华师范大学", "511302", U, 2, &[Silk, Food, Herbs]),
    employer("四川文理学院", "511702", U, 2, &[Gas, Herbs, Food]),
    employer("内江师范学院", "511002", U, 2, &[Pig, Food]),
    employer("阿坝师范学院", "513221", U, 1, &[Herbs, Yak, Clean]),
    employer("四川民族学院", "513301", U, 1, &[Yak, Herbs]),
    employer("四川职业技术学院", "510903", U, 1, &[Lithium, Electronics]),
    employer("广安职业技术学院", "511602", U, 1, &[Food, Electronics]),
    employer("四川大学锦江学院", "511403", U, 1, &[Lithium, Software]),
    employer("巴中职业技术学院", "511902", U, 1, &[Tea, Herbs]),
    employer("中国科学院成都生物研究所", "510107", I, 4, &[Baijiu, Pharma, Herbs, Food]),
    employer("四川省农业科学院", "510104", I, 6, &[Citrus, Kiwi, Tea, Food, Pig]),
    employer("中国工程物理研究院", "510704", I, 4, &[Nuclear, Electronics, Aero]),
    employer("中国科学院光电技术研究所", "510116", I, 2, &[Electronics, Aero]),
    employer("中国空气动力研究与发展中心", "510703", I, 2, &[Aero, Uav]),
    employer("中国核动力研究设计院", "510116", I, 2, &[Nuclear, Equipment]),
    employer("中国科学院山地灾害与环境研究所", "510107", I, 2, &[Uav, Clean]),
    employer("四川省畜牧科学研究院", "510104", I, 3, &[Pig, Yak]),
    employer("四川省草原科学研究院", "513233", I, 1, &[Yak]),
    employer("四川省中医药科学院", "510105", I, 2, &[Herbs, Pharma]),
    employer("四川省自然资源科学研究院", "510107", I, 2, &[Kiwi, Herbs]),
    employer("四川省机械研究设计院", "510104", I, 2, &[Equipment]),
    employer("四川省食品发酵工业研究设计院", "510117", I, 2, &[Baijiu, Food]),
    employer("四川省农业科学院蚕业研究所", "511302", I, 1, &[Silk]),
    employer("南充市农业科学院", "511302", I, 2, &[Citrus, Silk, Pig]),
    employer("达州市农业科学研究院", "511702", I, 2, &[Herbs, Tea, Pig]),
    employer("广元市农业科学研究院", "510802", I, 2, &[Kiwi, Tea]),
    employer("攀枝花市农林科学研究院", "510411", I, 1, &[Fruit]),
    employer("凉山州农业科学研究院", "513401", I, 1, &[Fruit, Herbs]),
    employer("攀钢集团研究院有限公司", "510402", C, 2, &[VanTi]),
    employer("东方电气集团东方汽轮机有限公司", "510603", C, 3, &[Equipment, Clean]),
];

/// Hospitals that register as organisations (the biomedicine industry), with their county.
pub(crate) const HOSPITALS: &[(&str, &str)] = &[
    ("四川省人民医院", "510105"),
    ("西南医科大学附属医院", "510503"),
    ("川北医学院附属医院", "511302"),
    ("绵阳市中心医院", "510703"),
];
