/**
 * What registration shows: the conditions to choose from, each consent purpose with its text,
 * and the privacy policy with its version.
 *
 * TO BE REPLACED BY THE API: until GET /me/setup exists, loadSetup answers with LOCAL_SETUP below
 * (placeholder texts, not a clinic's policy). When the route lands, loadSetup becomes
 * `request<Schemas['SetupReply']>('GET', '/me/setup')` and this constant goes.
 */

export interface ConsentPurpose {
  purpose: 'service' | 'marketing' | 'analytics'
  title: string
  text: string
  required: boolean
}

export interface Setup {
  clinicName: string
  conditions: { code: string; label: string }[]
  purposes: ConsentPurpose[]
  policy: { version: string; title: string; sections: { heading: string; body: string }[] }
}

export const LOCAL_SETUP: Setup = {
  clinicName: '本诊所',
  conditions: [
    { code: 'diabetes', label: '糖尿病' },
    { code: 'hypertension', label: '高血压' },
    { code: 'eczema', label: '湿疹' },
    { code: 'postpartum', label: '产后康复' },
    { code: 'dental', label: '口腔' },
    { code: 'health_check', label: '体检' },
  ],
  purposes: [
    {
      purpose: 'service',
      title: '诊疗服务',
      text: '用于建档、复诊提醒和您与诊所之间的就诊沟通。不同意则无法建档。',
      required: true,
    },
    {
      purpose: 'marketing',
      title: '健康活动与优惠',
      text: '向您发送诊所的健康讲座、活动和优惠信息。可随时在“我的”里关闭。',
      required: false,
    },
    {
      purpose: 'analytics',
      title: '服务改进',
      text: '用去除身份信息的数据统计服务效果，帮助诊所改进服务。可随时关闭。',
      required: false,
    },
  ],
  policy: {
    version: 'v1',
    title: '隐私政策（示例文本，待诊所正式文本替换）',
    sections: [
      { heading: '我们收集哪些信息', body: '您填写的姓名、手机号、出生年份和病种，以及您上传的打卡记录（如血糖）。' },
      { heading: '我们如何使用', body: '仅按您同意的用途使用：诊疗服务、健康活动通知、服务改进，每项可以分别同意或撤回。' },
      { heading: '保存与删除', body: '信息加密保存。您可以随时导出自己的信息，或申请删除全部信息。' },
      { heading: '联系我们', body: '如有疑问，请联系诊所前台。' },
    ],
  },
}

/** Where the setup comes from; tests swap `load` for a fake until the route exists. */
export const setupSource = {
  load: (): Promise<Setup> => Promise.resolve(LOCAL_SETUP),
}

export function loadSetup(): Promise<Setup> {
  return setupSource.load()
}
