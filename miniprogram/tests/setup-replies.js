// GET /me/setup as the API answers it (SetupReply), for the tests and the page pictures' fixtures.
// Plain data: requiring this loads nothing else.

/** A GET /me/setup reply (SetupReply); `over` replaces top-level parts. */
function setupReply(over = {}) {
  return {
    clinic: { clinic_id: 'demo-dental', name: '本诊所' },
    conditions: [
      { condition: 'diabetes', label: '糖尿病' }, { condition: 'hypertension', label: '高血压' },
      { condition: 'eczema', label: '湿疹' }, { condition: 'postpartum', label: '产后康复' },
      { condition: 'dental', label: '口腔' }, { condition: 'health_check', label: '体检' },
    ],
    consent: {
      version: 'v1',
      purposes: [
        { purpose: 'service', title: '诊疗服务', text: '用于建档、复诊提醒和您与诊所之间的就诊沟通。不同意则无法建档。', required: true },
        { purpose: 'marketing', title: '健康活动与优惠', text: '向您发送诊所的健康讲座、活动和优惠信息。可随时在“我的”里关闭。', required: false },
        { purpose: 'analytics', title: '服务改进', text: '用去除身份信息的数据统计服务效果，帮助诊所改进服务。可随时关闭。', required: false },
      ],
    },
    privacy_policy: {
      version: 'v1',
      text: '隐私政策\n\n一、我们收集哪些信息\n您填写的姓名、手机号、出生年份和病种，以及您上传的打卡记录。\n\n'
        + '二、我们如何使用\n仅按您同意的用途使用，每项可以分别同意或撤回。\n\n三、联系我们\n如有疑问，请联系诊所前台。\n',
    },
    subscribe_templates: [],
    ...over,
  }
}

/** GET /me/setup of another clinic (阳光口腔, policy v3), for the registration and privacy pages. */
function sunnySetupReply(overrides = {}) {
  return {
    clinic: { clinic_id: 'demo-dental', name: '阳光口腔' },
    conditions: [{ condition: 'diabetes', label: '糖尿病' }, { condition: 'dental', label: '口腔' }],
    consent: {
      version: 'v3',
      purposes: [
        { purpose: 'service', title: '诊疗服务', text: '用于建档和复诊提醒。', required: true },
        { purpose: 'marketing', title: '健康活动与优惠', text: '向您发送诊所的健康讲座和活动。', required: false },
        { purpose: 'analytics', title: '服务改进', text: '去除身份信息后统计服务效果。', required: false },
      ],
    },
    privacy_policy: { version: 'v3', text: '隐私政策\n\n开头的说明。\n\n一、我们收集的信息\n姓名和手机号。\n\n二、我们如何使用\n每项可以分别同意或撤回。\n' },
    subscribe_templates: [],
    ...overrides,
  }
}

module.exports = { setupReply, sunnySetupReply }
