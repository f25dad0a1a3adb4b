// 关于: the first page of the `more` subpackage, where rarely used pages go (loaded on demand).
import { config } from '../../../config'

Component({
  data: { clinicId: config.clinicId, version: '0.1.0' },
  methods: {},
})
