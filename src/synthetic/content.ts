// Text pools for synthetic Buddy programmes: names, places, activities, and short free texts in the
// three languages Q2Q scores (English, Ukrainian, Norwegian). Every string fits the catalog's limits.

export type Lang = 'en' | 'uk' | 'no';

export const PARTICIPANT_NAMES = {
  first: [
    'Olena',
    'Oksana',
    'Iryna',
    'Kateryna',
    'Nataliia',
    'Yuliia',
    'Anastasiia',
    'Sofiia',
    'Mariia',
    'Tetiana',
    'Andrii',
    'Dmytro',
    'Oleksandr',
    'Serhii',
    'Mykola',
    'Taras',
    'Bohdan',
    'Yaroslav',
    'Vasyl',
    'Ivan',
    'Amina',
    'Hassan',
    'Fatima',
    'Ahmad',
    'Layla',
    'Omar',
    'Samira',
    'Yusuf',
    'Mariam',
    'Tesfaye',
  ],
  last: [
    'Kovalenko',
    'Shevchenko',
    'Bondarenko',
    'Tkachenko',
    'Kravchenko',
    'Melnyk',
    'Boiko',
    'Oliinyk',
    'Lysenko',
    'Moroz',
    'Savchenko',
    'Rudenko',
    'Marchenko',
    'Petrenko',
    'Hrytsenko',
    'Pavlenko',
    'Al-Hassan',
    'Haddad',
    'Rahimi',
    'Tesfay',
    'Yousef',
    'Karimi',
    'Mohamed',
    'Abdi',
  ],
};

export const BUDDY_NAMES = {
  first: [
    'Ingrid',
    'Kari',
    'Silje',
    'Marte',
    'Ingeborg',
    'Solveig',
    'Hanne',
    'Åse',
    'Ragnhild',
    'Tone',
    'Ole',
    'Lars',
    'Knut',
    'Eirik',
    'Håkon',
    'Sindre',
    'Magnus',
    'Bjørn',
    'Torbjørn',
    'Jonas',
    'Emma',
    'Nora',
    'Sara',
    'Jakob',
    'Henrik',
    'Anders',
  ],
  last: [
    'Hansen',
    'Johansen',
    'Olsen',
    'Larsen',
    'Andersen',
    'Pedersen',
    'Nilsen',
    'Kristiansen',
    'Jensen',
    'Karlsen',
    'Berg',
    'Haugen',
    'Hagen',
    'Johannessen',
    'Eriksen',
    'Dahl',
    'Lie',
    'Strand',
    'Solberg',
    'Bakken',
    'Sæther',
    'Kvåle',
    'Løvås',
    'Ødegård',
  ],
};

/** ASCII form of a name for e-mail addresses (å -> aa, ø -> o, æ -> ae). */
export function asciiName(name: string): string {
  return name
    .toLowerCase()
    .replace(/å/g, 'aa')
    .replace(/ø/g, 'o')
    .replace(/æ/g, 'ae')
    .normalize('NFD')
    .replace(/[^a-z0-9]/g, '');
}

export const EMAIL_DOMAINS = ['example.org', 'example.com', 'mail.example.net', 'buddy.example.no'];

export const CITIES = ['Oslo', 'Bergen', 'Trondheim', 'Stavanger', 'Drammen', 'Kristiansand', 'Tromsø'];

export const LANGUAGE_PREFERENCES = ['uk', 'no', 'en', 'ar', 'ti', 'uk', 'en'];

export const INTERESTS = [
  'hiking',
  'cooking',
  'football',
  'board games',
  'music',
  'skiing',
  'photography',
  'reading',
  'knitting',
  'running',
  'chess',
  'gardening',
  'cycling',
  'volunteering',
  'painting',
  'swimming',
];

export const INFORMAL_ACTIVITIES: readonly {
  type: string;
  descriptions: readonly string[];
  locations: readonly string[];
}[] = [
  {
    type: 'hangout',
    descriptions: [
      'Coffee and a walk around Frogner park',
      'Waffles at a café near the station',
      'Dinner together, tried making fårikål',
      'Board game evening at the library',
      'Walk along Akerselva',
    ],
    locations: ['Frognerparken', 'Café Stasjonen', 'Deichman Grünerløkka', 'Akerselva', 'Home'],
  },
  {
    type: 'activity',
    descriptions: [
      'Cross-country skiing at Sognsvann',
      'Visited the Munch museum',
      'Ice skating at Spikersuppa',
      'Went to a local football match',
      'Hike up to Fløyen',
    ],
    locations: ['Sognsvann', 'MUNCH', 'Spikersuppa', 'Ullevaal stadion', 'Fløyen'],
  },
  {
    type: 'workshop',
    descriptions: ['CV workshop together', 'Bike repair workshop', 'Tax return (skattemelding) help session'],
    locations: ['Frivillighetshuset', 'Community centre', 'NAV office'],
  },
  {
    type: 'video_call',
    descriptions: ['Weekly video call', 'Practised Norwegian over video', 'Planned next meeting over video'],
    locations: ['Online'],
  },
  {
    type: 'call',
    descriptions: ['Quick phone call to check in', 'Helped by phone with a letter from the kommune'],
    locations: ['Phone'],
  },
];

export const FORMAL_EVENTS: readonly {
  title: string;
  type:
    | 'cultural'
    | 'educational'
    | 'professional'
    | 'social'
    | 'support'
    | 'recreational'
    | 'language'
    | 'other';
  format: 'in-person' | 'online' | 'hybrid';
  location?: string;
  organizer: string;
  categories: readonly string[];
  sdgGoals: readonly number[];
  durationMinutes: number;
}[] = [
  {
    title: 'Norwegian conversation evening',
    type: 'language',
    format: 'in-person',
    location: 'Deichman Bjørvika',
    organizer: 'Oslo Buddy Program',
    categories: ['language', 'community'],
    sdgGoals: [4, 10],
    durationMinutes: 90,
  },
  {
    title: 'Job fair for newcomers',
    type: 'professional',
    format: 'hybrid',
    location: 'Oslo Spektrum',
    organizer: 'NAV and partners',
    categories: ['career'],
    sdgGoals: [8],
    durationMinutes: 180,
  },
  {
    title: 'Ukrainian cultural evening',
    type: 'cultural',
    format: 'in-person',
    location: 'Kulturhuset',
    organizer: 'Ukrainian Association in Norway',
    categories: ['culture', 'music'],
    sdgGoals: [10, 11],
    durationMinutes: 150,
  },
  {
    title: 'Webinar: your rights as a tenant in Norway',
    type: 'educational',
    format: 'online',
    organizer: 'Leieboerforeningen',
    categories: ['housing', 'rights'],
    sdgGoals: [11, 16],
    durationMinutes: 60,
  },
  {
    title: 'Family day at the ski jump',
    type: 'recreational',
    format: 'in-person',
    location: 'Holmenkollen',
    organizer: 'Oslo Buddy Program',
    categories: ['outdoors', 'family'],
    sdgGoals: [3],
    durationMinutes: 240,
  },
  {
    title: 'Peer support circle',
    type: 'support',
    format: 'hybrid',
    location: 'Røde Kors Oslo',
    organizer: 'Red Cross Oslo',
    categories: ['well-being'],
    sdgGoals: [3, 10],
    durationMinutes: 90,
  },
  {
    title: 'Buddy Program kick-off party',
    type: 'social',
    format: 'in-person',
    location: 'Vulkan Arena',
    organizer: 'Oslo Buddy Program',
    categories: ['community'],
    sdgGoals: [10, 17],
    durationMinutes: 120,
  },
];

export const SKILLS: readonly { id: number; name: string; category: string }[] = [
  { id: 1, name: 'Norwegian conversation', category: 'language' },
  { id: 2, name: 'CV writing', category: 'career' },
  { id: 3, name: 'Job interview practice', category: 'career' },
  { id: 4, name: 'JavaScript basics', category: 'tech' },
  { id: 5, name: 'Excel for the office', category: 'tech' },
  { id: 6, name: 'Cooking Ukrainian borscht', category: 'culture' },
  { id: 7, name: 'Cross-country skiing', category: 'sports' },
  { id: 8, name: 'Navigating NAV and public services', category: 'society' },
  { id: 9, name: 'Personal finance in Norway', category: 'society' },
  { id: 10, name: 'Photography with a phone', category: 'creative' },
];

export const CHECKIN_NOTES: Record<Lang, readonly string[]> = {
  en: [
    'Settling in well, still lonely some evenings.',
    'Had my first job interview this week, feeling nervous but hopeful.',
    'The kids started school and are making friends.',
    'Hard week, the paperwork with the kommune is overwhelming.',
    'Feeling more at home here every week.',
    'Did not sleep well, worried about family back home.',
    'My Norwegian is getting better, I ordered coffee without English!',
  ],
  uk: [
    'Потроху звикаю, але вечорами буває самотньо.',
    'Цього тижня була перша співбесіда, хвилююся, але маю надію.',
    'Діти пішли до школи і вже знайшли друзів.',
    'Важкий тиждень, документи в комуні дуже виснажують.',
    'З кожним тижнем почуваюся тут більше як вдома.',
    'Погано спала, переживаю за рідних удома.',
  ],
  no: [
    'Det går bedre nå, men kveldene er fortsatt litt ensomme.',
    'Hadde mitt første jobbintervju denne uken, nervøs men håpefull.',
    'Barna har begynt på skolen og trives.',
    'Tung uke, mye papirarbeid med kommunen.',
    'Føler meg mer hjemme for hver uke.',
    'Norsken blir bedre, jeg bestilte kaffe på norsk!',
  ],
};

export const FEEDBACK_TEXTS: Record<'participant' | 'buddy', Record<Lang, readonly string[]>> = {
  participant: {
    en: [
      'My buddy helps me practise Norwegian and understand the job market.',
      'We meet every week, it makes a big difference for me.',
      'Very kind and patient, I feel I have a friend here now.',
      'Sometimes hard to find time to meet, but the calls help.',
    ],
    uk: [
      'Мій бадді допомагає мені практикувати норвезьку і розуміти ринок праці.',
      'Ми зустрічаємося щотижня, це дуже багато для мене значить.',
      'Дуже добра і терпляча людина, тепер у мене тут є друг.',
    ],
    no: [
      'Buddyen min hjelper meg med norsk og med å forstå arbeidsmarkedet.',
      'Vi møtes hver uke, det betyr mye for meg.',
      'Veldig snill og tålmodig, jeg føler jeg har en venn her nå.',
    ],
  },
  buddy: {
    en: [
      'Great progress with the language, more confident every meeting.',
      'We get along well; she is now applying for jobs on her own.',
      'Scheduling is tricky but the match works.',
      'I learn as much as I teach, a very rewarding match.',
    ],
    uk: [
      'Чудовий прогрес у мові, з кожною зустріччю більше впевненості.',
      'Ми добре ладнаємо, він уже сам шукає роботу.',
    ],
    no: [
      'Fin fremgang med språket, tryggere for hvert møte.',
      'Vi har det fint sammen, hun søker nå jobber på egen hånd.',
      'Vanskelig å finne tid, men matchen fungerer godt.',
    ],
  },
};

export const SKILL_COMMENTS: {
  teacher: Record<Lang, readonly string[]>;
  learner: Record<Lang, readonly string[]>;
} = {
  teacher: {
    en: [
      'Picked up the structure quickly.',
      'Needs more practice, but very motivated.',
      'Excellent session.',
    ],
    uk: ['Швидко зрозумів структуру.', 'Потрібно більше практики, але дуже вмотивована.'],
    no: ['Lærte strukturen raskt.', 'Trenger mer øving, men er svært motivert.'],
  },
  learner: {
    en: ['I feel more confident applying for jobs now.', 'Useful, but it went a bit fast for me.'],
    uk: ['Тепер я впевненіше подаюся на вакансії.', 'Корисно, але трохи швидко для мене.'],
    no: ['Jeg føler meg tryggere når jeg søker jobb nå.', 'Nyttig, men det gikk litt fort.'],
  },
};

export const END_REASON_DETAILS: Record<string, readonly string[]> = {
  completed: ['Programme period finished, both happy with the match.'],
  participant_request: ['Participant moved to another city.', 'Participant started full-time work.'],
  buddy_request: ['Buddy has less time because of a new job.'],
  mutual_agreement: ['Both agreed the match had run its course.'],
  inactivity: ['No activity for more than six weeks.'],
  violation: ['Code of conduct issue, handled by the coordinator.'],
  program_ended: ['The municipal programme ended.'],
  other: ['Rematched at the coordinator’s request.'],
};

/** The Buddy app's milestone templates (milestoneId is the app's numeric id). */
export const MILESTONES = {
  onboarding: {
    id: 1,
    title: 'Profile completed',
    category: 'onboarding',
    points: 5,
    badgeIcon: 'id-card',
    targetRole: 'all',
  },
  firstMeeting: {
    id: 3,
    title: 'First meeting',
    category: 'buddy-connection',
    points: 10,
    badgeIcon: 'handshake',
    targetRole: 'all',
  },
  connected: {
    id: 4,
    title: 'Connected',
    category: 'buddy-connection',
    points: 25,
    badgeIcon: 'link',
    targetRole: 'all',
  },
  integrated: {
    id: 5,
    title: 'Integrated',
    category: 'community',
    points: 50,
    badgeIcon: 'house',
    targetRole: 'participant',
  },
  firstSkill: {
    id: 7,
    title: 'First skill shared',
    category: 'skills',
    points: 15,
    badgeIcon: 'lightbulb',
    targetRole: 'all',
  },
  eventGoer: {
    id: 8,
    title: 'Event goer',
    category: 'events',
    points: 10,
    badgeIcon: 'ticket',
    targetRole: 'all',
  },
  completion: {
    id: 12,
    title: 'Buddy journey completed',
    category: 'completion',
    points: 100,
    badgeIcon: 'trophy',
    targetRole: 'all',
  },
} as const;
