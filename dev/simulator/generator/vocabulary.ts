/** Word lists and name lists the generator draws from. Data only. */

export interface PersonName {
  given: string;
  surname: string;
  /** BCP 47 tag of the person's preferred language. */
  locale: string;
}

/** Given name, surname, locale: a varied international mix, many with non-ASCII letters. */
export const PEOPLE: readonly PersonName[] = [
  { given: 'Zoë', surname: 'Müller', locale: 'de-DE' },
  { given: 'Łukasz', surname: 'Kowalski', locale: 'pl-PL' },
  { given: 'José', surname: 'García', locale: 'es-ES' },
  { given: 'Ngozi', surname: 'Okafor', locale: 'en-GB' },
  { given: 'Kenji', surname: 'Tanaka', locale: 'ja-JP' },
  { given: 'Amélie', surname: 'Dubois', locale: 'fr-FR' },
  { given: 'Søren', surname: 'Kierkegård', locale: 'da-DK' },
  { given: 'Björn', surname: 'Åkesson', locale: 'sv-SE' },
  { given: 'Priya', surname: 'Raghunathan', locale: 'en-US' },
  { given: 'Mei', surname: 'Chen', locale: 'en-US' },
  { given: 'Oliver', surname: 'Smith', locale: 'en-GB' },
  { given: 'Emma', surname: 'Johnson', locale: 'en-US' },
  { given: 'Liam', surname: "O'Connor", locale: 'en-IE' },
  { given: 'Fatma', surname: 'Yılmaz', locale: 'tr-TR' },
  { given: 'Dimitrios', surname: 'Papadopoulos', locale: 'el-GR' },
  { given: 'Ana', surname: 'Lopes', locale: 'pt-PT' },
  { given: 'João', surname: 'Conceição', locale: 'pt-BR' },
  { given: 'Chloé', surname: 'Lefèvre', locale: 'fr-FR' },
  { given: 'François', surname: 'Gérard', locale: 'fr-FR' },
  { given: 'Jürgen', surname: 'Weiß', locale: 'de-DE' },
  { given: 'Anna', surname: 'Schröder', locale: 'de-DE' },
  { given: 'Małgorzata', surname: 'Wiśniewska', locale: 'pl-PL' },
  { given: 'Tomáš', surname: 'Dvořák', locale: 'cs-CZ' },
  { given: 'Ingrid', surname: 'Bjørnstad', locale: 'nb-NO' },
  { given: 'Aino', surname: 'Mäkinen', locale: 'fi-FI' },
  { given: 'Yuki', surname: 'Sato', locale: 'ja-JP' },
  { given: 'Hiroshi', surname: 'Suzuki', locale: 'ja-JP' },
  { given: 'Wei', surname: 'Zhang', locale: 'en-US' },
  { given: 'Ji-woo', surname: 'Kim', locale: 'en-US' },
  { given: 'Aisha', surname: 'Bello', locale: 'en-GB' },
  { given: 'Chidi', surname: 'Eze', locale: 'en-GB' },
  { given: 'Kwame', surname: 'Mensah', locale: 'en-GB' },
  { given: 'Lucía', surname: 'Fernández', locale: 'es-ES' },
  { given: 'Mateo', surname: 'Rodríguez', locale: 'es-MX' },
  { given: 'Sofía', surname: 'Martínez', locale: 'es-MX' },
  { given: 'Giulia', surname: 'Rossi', locale: 'it-IT' },
  { given: 'Niccolò', surname: 'Bianchi', locale: 'it-IT' },
  { given: 'Sander', surname: 'de Vries', locale: 'nl-NL' },
  { given: 'Eva', surname: 'Jansen', locale: 'nl-NL' },
  { given: 'Olga', surname: 'Ivanova', locale: 'en-US' },
  { given: 'Arjun', surname: 'Mehta', locale: 'en-US' },
  { given: 'Fatima', surname: 'Haddad', locale: 'en-US' },
  { given: 'Noah', surname: 'Williams', locale: 'en-US' },
  { given: 'Ava', surname: 'Brown', locale: 'en-US' },
  { given: 'Lucas', surname: 'Moreau', locale: 'fr-FR' },
  { given: 'Hélène', surname: 'Bérard', locale: 'fr-CA' },
  { given: 'Renée', surname: 'Côté', locale: 'fr-CA' },
  { given: 'Sven', surname: 'Lindqvist', locale: 'sv-SE' },
  { given: 'Zsófia', surname: 'Horváth', locale: 'hu-HU' },
  { given: 'Andrés', surname: 'Núñez', locale: 'es-ES' },
  { given: 'Thandiwe', surname: 'Nkosi', locale: 'en-ZA' },
  { given: 'Grace', surname: 'Taylor', locale: 'en-AU' },
  { given: 'Mohammed', surname: 'Al-Farsi', locale: 'en-GB' },
  { given: 'Daniel', surname: 'Cohen', locale: 'en-US' },
  { given: 'Elif', surname: 'Şahin', locale: 'tr-TR' },
  { given: 'Marta', surname: 'Nowak', locale: 'pl-PL' },
  { given: 'Paweł', surname: 'Zieliński', locale: 'pl-PL' },
  { given: 'Håkon', surname: 'Øvrebø', locale: 'nb-NO' },
  { given: 'Siobhán', surname: 'Ní Bhriain', locale: 'en-IE' },
  { given: 'Rafael', surname: 'Souza', locale: 'pt-BR' },
];

export const JOB_TITLES: readonly string[] = [
  'Account Manager',
  'Sales Director',
  'Financial Controller',
  'HR Business Partner',
  'Software Engineer',
  'Senior Software Engineer',
  'Product Manager',
  'Project Manager',
  'Marketing Specialist',
  'Office Manager',
  'Chief Executive Officer',
  'Chief Financial Officer',
  'IT Administrator',
  'Legal Counsel',
  'Procurement Lead',
  'Customer Success Manager',
  'Data Analyst',
  'Operations Coordinator',
  'UX Designer',
  'Support Engineer',
];

export const DEPARTMENTS: readonly string[] = [
  'Sales',
  'Finance',
  'Human Resources',
  'Engineering',
  'Marketing',
  'Operations',
  'Legal',
  'IT',
  'Customer Success',
  'Procurement',
];

export const OFFICES: readonly { office: string; phonePrefix: string; timeZone: string }[] = [
  { office: 'Berlin', phonePrefix: '+49 30 ', timeZone: 'W. Europe Standard Time' },
  { office: 'München', phonePrefix: '+49 89 ', timeZone: 'W. Europe Standard Time' },
  { office: 'Paris', phonePrefix: '+33 1 ', timeZone: 'Romance Standard Time' },
  { office: 'London', phonePrefix: '+44 20 ', timeZone: 'GMT Standard Time' },
  { office: 'Kraków', phonePrefix: '+48 12 ', timeZone: 'Central European Standard Time' },
  { office: 'Madrid', phonePrefix: '+34 91 ', timeZone: 'Romance Standard Time' },
  { office: 'Tokyo', phonePrefix: '+81 3 ', timeZone: 'Tokyo Standard Time' },
  { office: 'New York', phonePrefix: '+1 212 ', timeZone: 'Eastern Standard Time' },
  { office: 'Seattle', phonePrefix: '+1 206 ', timeZone: 'Pacific Standard Time' },
  { office: 'Lagos', phonePrefix: '+234 1 ', timeZone: 'W. Central Africa Standard Time' },
  { office: 'Zürich', phonePrefix: '+41 44 ', timeZone: 'W. Europe Standard Time' },
];

export const LOCALE_NAMES: Readonly<Record<string, string>> = {
  'de-DE': 'Deutsch (Deutschland)',
  'pl-PL': 'polski (Polska)',
  'es-ES': 'español (España)',
  'es-MX': 'español (México)',
  'en-GB': 'English (United Kingdom)',
  'en-US': 'English (United States)',
  'en-IE': 'English (Ireland)',
  'en-ZA': 'English (South Africa)',
  'en-AU': 'English (Australia)',
  'ja-JP': '日本語 (日本)',
  'fr-FR': 'français (France)',
  'fr-CA': 'français (Canada)',
  'da-DK': 'dansk (Danmark)',
  'sv-SE': 'svenska (Sverige)',
  'tr-TR': 'Türkçe (Türkiye)',
  'el-GR': 'Ελληνικά (Ελλάδα)',
  'pt-PT': 'português (Portugal)',
  'pt-BR': 'português (Brasil)',
  'cs-CZ': 'čeština (Česko)',
  'nb-NO': 'norsk bokmål (Norge)',
  'fi-FI': 'suomi (Suomi)',
  'it-IT': 'italiano (Italia)',
  'nl-NL': 'Nederlands (Nederland)',
  'hu-HU': 'magyar (Magyarország)',
};

/** Organisation names: [display name, domain stem]. */
export const COMPANIES: readonly (readonly [string, string])[] = [
  ['Contoso', 'contoso'],
  ['Fabrikam', 'fabrikam'],
  ['Northwind Traders', 'northwind'],
  ['Tailspin Toys', 'tailspin'],
  ['Adventure Works', 'adventureworks'],
  ['Woodgrove Bank', 'woodgrove'],
  ['Litware', 'litware'],
  ['Proseware', 'proseware'],
  ['Wingtip Toys', 'wingtip'],
  ['Alpine Ski House', 'alpineskihouse'],
  ['Coho Winery', 'cohowinery'],
  ['Lamna Healthcare', 'lamna'],
];

export const EXTERNAL_DOMAINS: readonly string[] = [
  'gmail.com',
  'outlook.com',
  'partner-logistics.de',
  'acme-consulting.com',
  'steuerberatung-weiss.de',
  'agence-lumiere.fr',
  'kancelaria-nowak.pl',
  'tokyo-trading.co.jp',
  'globex.com',
  'initech.com',
  'umbrella-corp.net',
  'hooli.io',
];

export const EXTERNAL_SENDERS: readonly (readonly [string, string])[] = [
  ['LinkedIn', 'messages-noreply@linkedin.example'],
  ['Microsoft 365 Message center', 'o365mc@microsoft.example'],
  ['DHL Express', 'noreply@dhl.example'],
  ['Deutsche Bahn', 'buchungsbestaetigung@bahn.example'],
  ['Newsletter', 'news@acme-consulting.com'],
  ['Lufthansa', 'online@booking-lufthansa.example'],
];

export const CATEGORIES: readonly string[] = [
  'Red category',
  'Blue category',
  'Green category',
  'Yellow category',
  'Orange category',
  'Purple category',
  'Project Apollo',
  'Kunden',
];

/** Custom mail folder trees: each entry is a path; '/' nests; those beginning 'Inbox/' go under the inbox. */
export const CUSTOM_FOLDER_PATHS: readonly string[] = [
  'Inbox/Projects',
  'Inbox/Projects/2026',
  'Inbox/Projects/2026/Q3',
  'Inbox/Überprüfung',
  'Customers',
  'Customers/Müller GmbH',
  'Customers/Société Générale',
  'Receipts',
  'Receipts/Reisekosten 2026',
  'Newsletters',
  'Inbox/Team',
  'Inbox/Team/Besprechungen',
  'Archive 2025',
  'Archive 2025/Verträge',
  'Inbox/Zamówienia',
  '経理',
  '経理/請求書',
  'HR',
  'HR/Recruiting',
  'HR/Recruiting/Candidates',
];

export const COMMON_WORDS: readonly string[] = (
  'the of and to in for is on that with as by this we be are it from at or will have an our your can ' +
  'report budget forecast meeting agenda review project timeline customer contract invoice quarter ' +
  'deadline proposal update team schedule approval draft feedback figures revenue pipeline renewal ' +
  'delivery supplier order payment travel expense workshop training onboarding policy migration ' +
  'release roadmap milestone risk issue decision summary presentation slides notes attached please ' +
  'thanks regards next week monday tuesday wednesday thursday friday morning afternoon call office ' +
  'document version final comments changes numbers sales marketing finance legal board quarterly ' +
  'annual plan target growth cost savings estimate scope requirements testing launch campaign event'
).split(' ');

/** Sentences for message bodies, per language. */
export const SENTENCES: Readonly<Record<string, readonly string[]>> = {
  en: [
    'Thanks for sending this over so quickly.',
    'Please find the updated figures attached.',
    'Could you take a look before our call on Thursday?',
    'I have added my comments to the draft, mostly on the budget section.',
    'The customer asked whether we can move the delivery date to the end of the month.',
    'Let me know if anything is unclear or if you need more detail.',
    'We agreed to revisit the timeline once the supplier confirms the order.',
    'The quarterly numbers look better than expected, especially in the north region.',
    'I will be out of the office next week, so please copy my colleague on anything urgent.',
    'Can we schedule thirty minutes to go through the open points?',
    'The board wants a short summary of the risks before the next meeting.',
    'Attached is the signed contract for your records.',
    'Our travel expenses for the workshop still need approval.',
    'The migration is planned for the weekend, with a rollback window on Sunday evening.',
    'I spoke with legal and they are fine with the revised wording in section four.',
    'Happy to help with the onboarding of the new team members.',
    'The invoice should be paid within thirty days of receipt.',
    'We are still waiting for feedback from the marketing team on the campaign slides.',
    'Please confirm the room booking for the training session.',
    'As discussed, here is the proposal with the reduced scope.',
    'The release has been moved by one week because of the open testing issues.',
    'Could you forward this to everyone who attended the kickoff?',
    'I have uploaded the presentation to the team site.',
    'Revenue for the quarter is up four percent compared with last year.',
  ],
  de: [
    'Vielen Dank für die schnelle Rückmeldung.',
    'Anbei die aktualisierten Zahlen für das dritte Quartal.',
    'Können wir uns am Donnerstag kurz dazu abstimmen?',
    'Ich habe meine Anmerkungen direkt im Entwurf ergänzt.',
    'Der Kunde möchte den Liefertermin auf Ende des Monats verschieben.',
    'Die Reisekostenabrechnung für München liegt noch zur Prüfung vor.',
    'Bitte prüfe die Änderungen bis Freitag.',
    'Für Rückfragen stehe ich gerne zur Verfügung.',
    'Das Angebot gilt bis zum Ende des Quartals.',
    'Größere Änderungen am Vertrag müssen mit der Rechtsabteilung abgestimmt werden.',
  ],
  fr: [
    'Merci beaucoup pour votre réponse rapide.',
    'Veuillez trouver ci-joint le résumé de la réunion.',
    'Pourriez-vous vérifier les chiffres avant jeudi ?',
    'Le client souhaite décaler la livraison à la fin du mois.',
    'Je reste à votre disposition pour toute question.',
    "L'équipe marketing prépare la présentation pour la réunion de février.",
    'Les dépenses du déplacement à Genève doivent encore être validées.',
  ],
  es: [
    'Muchas gracias por la información.',
    'Adjunto el informe actualizado con las cifras del trimestre.',
    '¿Podemos revisar los puntos pendientes el jueves por la mañana?',
    'El cliente pregunta si es posible adelantar la entrega.',
    'Quedo a la espera de tus comentarios.',
    'La reunión de planificación será en la oficina de Madrid.',
  ],
  pl: [
    'Dziękuję za szybką odpowiedź.',
    'W załączniku przesyłam zaktualizowane zestawienie.',
    'Czy możemy omówić to w czwartek przed południem?',
    'Klient prosi o przesunięcie terminu dostawy.',
    'Proszę o potwierdzenie zamówienia do piątku.',
  ],
  ja: [
    'お疲れ様です。',
    '資料を添付いたしますので、ご確認をお願いいたします。',
    '木曜日の会議の前にご意見をいただけますと幸いです。',
    '納期について、お客様から変更のご依頼がありました。',
    '引き続きよろしくお願いいたします。',
    '請求書の件、経理部に確認いたしました。',
  ],
};

/** Message subjects per language. */
export const SUBJECTS: Readonly<Record<string, readonly string[]>> = {
  en: [
    'Q3 budget review',
    'Updated forecast for next quarter',
    'Agenda for Thursday',
    'Contract renewal – Northwind',
    'Invoice INV-{n}',
    'Travel expenses March',
    'Project Apollo status update',
    'Meeting notes from the kickoff',
    'Draft proposal for review',
    'Quick question about the roadmap',
    'Welcome to the team!',
    'Release schedule v{v}',
    'Customer feedback summary',
    'Your order #{n} has shipped',
    'Lunch on Friday?',
    'Board presentation – final version',
    '“Smart” pricing proposal €{n}',
    'Weekly report week {w}',
    'Training session reminder',
  ],
  de: [
    'Überprüfung der Quartalszahlen',
    'Angebot für Müller GmbH',
    'Reisekostenabrechnung München',
    'Besprechungsprotokoll vom Montag',
    'Änderungen am Vertrag',
    'Rückfrage zur Rechnung {n}',
    'Grüße aus Zürich',
  ],
  fr: [
    'Résumé de la réunion',
    'Facture n° {n}',
    'Présentation du projet – version finale',
    'Déplacement à Genève',
    'Réunion de février',
  ],
  es: ['Informe trimestral', 'Reunión del jueves', 'Propuesta económica {n}', 'Revisión del contrato'],
  pl: ['Zamówienie nr {n}', 'Spotkanie w czwartek', 'Zestawienie kosztów – Kraków', 'Faktura {n}'],
  ja: ['会議のご案内', '見積書送付のお願い', '請求書の件', '資料のご確認をお願いします', '納期変更のご相談'],
};

/** Greetings and closings per language ({name} is the first recipient's given name). */
export const GREETINGS: Readonly<Record<string, readonly string[]>> = {
  en: ['Hi {name},', 'Hello {name},', 'Dear {name},', 'Hi all,'],
  de: ['Hallo {name},', 'Liebe Grüße vorab, {name},', 'Sehr geehrte Damen und Herren,'],
  fr: ['Bonjour {name},', 'Chère équipe,'],
  es: ['Hola {name},', 'Estimado equipo,'],
  pl: ['Dzień dobry,', 'Cześć {name},'],
  ja: ['{name}様', '各位'],
};

export const CLOSINGS: Readonly<Record<string, readonly string[]>> = {
  en: ['Best regards,', 'Kind regards,', 'Thanks,', 'Cheers,'],
  de: ['Viele Grüße', 'Mit freundlichen Grüßen', 'Beste Grüße'],
  fr: ['Cordialement,', 'Bien à vous,'],
  es: ['Un saludo,', 'Saludos cordiales,'],
  pl: ['Pozdrawiam,', 'Z poważaniem,'],
  ja: ['よろしくお願いいたします。'],
};

/** File names per extension for drives and attachments ({n} a number, {q} a quarter, {v} a version, {w} a week). */
export const FILE_STEMS: Readonly<Record<string, readonly string[]>> = {
  docx: [
    'Q3 résumé',
    'Meeting notes',
    'Project charter',
    'Angebot Müller GmbH',
    'Contract draft v{v}',
    'Übergabeprotokoll',
    'Procès-verbal',
    'Onboarding guide',
  ],
  xlsx: [
    'Budget 2026',
    'Q{q} report {y}',
    'Forecast Q{q}',
    'Reisekosten',
    'Sales pipeline',
    'Zestawienie kosztów',
    'Headcount plan',
  ],
  pptx: ['Board presentation', 'Kickoff', 'Roadmap 2026', 'Présentation client', 'Quarterly business review'],
  pdf: [
    'Invoice INV-{n}',
    'Signed contract',
    'Rechnung {n}',
    'Facture {n}',
    'Boarding pass',
    'Policy handbook',
    '請求書_{n}',
  ],
  png: ['screenshot-{n}', 'diagram', 'logo', 'Org chart'],
  jpg: ['IMG_{n}', 'team-offsite', 'whiteboard', 'Zdjęcie {n}'],
  zip: ['Archive', 'Deliverables', 'Logs {n}', 'Export'],
  csv: ['export-{n}', 'contacts', 'Kundenliste', 'transactions'],
  txt: ['readme', 'notes', 'Notizen', 'todo'],
  mp4: ['Recording {n}', 'Product demo', 'Town hall'],
  eml: ['Fwd Contract', 'Original message', 'Weitergeleitete Nachricht'],
  json: ['config', 'settings-{n}'],
  html: ['index', 'newsletter'],
};

export const DRIVE_FOLDERS: readonly string[] = [
  'Documents',
  'Documents/Reports',
  'Documents/Reports/2026',
  'Documents/Verträge',
  'Documents/Présentations',
  'Pictures',
  'Pictures/Offsite 2026',
  'Desktop',
  'Projects',
  'Projects/Apollo',
  'Projects/Apollo/Design',
  'Finance',
  'Finance/Rechnungen',
  'Recordings',
  'Archive',
];

export const SITE_NAMES: readonly string[] = [
  'Finance',
  'Marketing',
  'HR',
  'Engineering',
  'Legal',
  'Sales EMEA',
  'Projektraum',
  'Intranet',
  'Operations',
  'Ventes France',
];

export const LIBRARY_NAMES: readonly string[] = [
  'Documents',
  'Contracts',
  'Templates',
  'Archive',
  'Site Assets',
  'Unterlagen',
  'Policies',
  'Reports',
];

export const GROUP_NAMES: readonly string[] = [
  'Project Apollo',
  'Sales Team',
  'Leadership',
  'Marketing Crew',
  'Überprüfung & Audit',
  'Engineering Guild',
  'Zespół Kraków',
  'Customer Success',
  'Social Club',
  'Équipe Paris',
];

export const THREAD_TOPICS: readonly string[] = [
  'Welcome to the group!',
  'Offsite planning',
  'Q3 goals',
  'Where are the slides from Monday?',
  'Neue Mitarbeiter',
  'Holiday schedule',
  'Customer escalation – Fabrikam',
  'Lunch & learn ideas',
  'Réunion mensuelle',
];

/** Parts of generated English sentences: actor, action, object, time ("Finance will send the invoice by Friday."). */
export const ACTORS: readonly string[] = [
  'I',
  'We',
  'The team',
  'Our supplier',
  'The customer',
  'Finance',
  'Legal',
  'Marketing',
  'The project board',
  'IT',
];
export const ACTIONS: readonly string[] = [
  'will send',
  'has reviewed',
  'needs to approve',
  'is updating',
  'shared',
  'will present',
  'asked about',
  'still has questions about',
  'signed off on',
  'is waiting for',
];
export const OBJECTS: readonly string[] = [
  'the updated forecast',
  'the draft contract',
  'the Q3 figures',
  'the project plan',
  'the invoice',
  'the slides for the board',
  'the onboarding checklist',
  'the migration schedule',
  'the budget request',
  'the delivery dates',
  'the revised proposal',
  'the meeting notes',
  'the travel request',
  'the renewal terms',
];
export const WHEN: readonly string[] = [
  'by Friday',
  'next week',
  'before the call',
  'tomorrow morning',
  'by the end of the month',
  'after the review',
  'this afternoon',
  'as soon as possible',
  'before the workshop',
  'on Monday',
];
