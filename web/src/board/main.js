import { useCatalogue } from '../lib/i18n.js'; useCatalogue({id:{},en:{}});
