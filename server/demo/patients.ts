/** A fictional patient list: every name, id and date here is made up. */
export interface DemoPatient {
  id: string;
  name: string;
  kana: string;
  age: number;
  sex: '男' | '女';
  lastVisit: string;
  facility: string;
  note: string;
  /** The same record for the English page. */
  en: { name: string; facility: string; note: string };
}

export const DEMO_PATIENTS: readonly DemoPatient[] = [
  {
    id: 'H-000123',
    name: '晴山 花子',
    kana: 'ハレヤマ ハナコ',
    age: 78,
    sex: '女',
    lastVisit: '2026-11-18',
    facility: 'はれやか総合病院',
    note: '退院時サマリあり',
    en: { name: 'Hanako Hareyama', facility: 'Hareyaka General Hospital', note: 'Discharge summary' },
  },
  {
    id: 'H-000456',
    name: '青空 一郎',
    kana: 'アオゾラ イチロウ',
    age: 65,
    sex: '男',
    lastVisit: '2026-11-15',
    facility: 'そよかぜ内科クリニック',
    note: '処方変更（降圧薬）',
    en: {
      name: 'Ichiro Aozora',
      facility: 'Soyokaze Internal Medicine Clinic',
      note: 'Prescription change (antihypertensive)',
    },
  },
  {
    id: 'H-000789',
    name: '朝日 美咲',
    kana: 'アサヒ ミサキ',
    age: 42,
    sex: '女',
    lastVisit: '2026-11-12',
    facility: 'はれやか総合病院',
    note: '検査結果（血液）',
    en: { name: 'Misaki Asahi', facility: 'Hareyaka General Hospital', note: 'Test results (blood)' },
  },
  {
    id: 'H-001024',
    name: '虹川 健太',
    kana: 'ニジカワ ケンタ',
    age: 8,
    sex: '男',
    lastVisit: '2026-11-09',
    facility: 'ひだまり小児科',
    note: '予防接種記録',
    en: { name: 'Kenta Nijikawa', facility: 'Hidamari Paediatrics', note: 'Vaccination record' },
  },
  {
    id: 'H-001337',
    name: '夕凪 静',
    kana: 'ユウナギ シズカ',
    age: 91,
    sex: '女',
    lastVisit: '2026-11-02',
    facility: 'みなと訪問看護ステーション',
    note: '訪問看護報告書',
    en: { name: 'Shizuka Yunagi', facility: 'Minato Home Nursing Station', note: 'Home nursing report' },
  },
];
