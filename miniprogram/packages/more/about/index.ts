// 关于: the first page of the `more` subpackage, where rarely used pages go (loaded on demand).
import { config } from '../../../config'
import { careMode } from '../../../utils/care'

Component({
  behaviors: [careMode],
  data: { clinicId: config.clinicId, version: '0.1.0' },
  methods: {},
})
