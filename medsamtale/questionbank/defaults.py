"""The default question bank a new installation starts with (bokmål, drawn from the seeds)."""

STANDARD = {
    "key": "standard",
    "name": "Standard",
    "description": ("Standardskjemaet for medarbeidersamtalen, med temaene fra samtaleskjemaet "
                    "og lønn og betingelser til slutt."),
    "themes": [
        {
            "name": "Oppfølging fra forrige samtale",
            "description": ("Vi ser tilbake på målene og tiltakene vi ble enige om sist, og "
                            "vurderer om de fortsatt er aktuelle."),
            "is_salary": False,
            "questions": [
                {"text": "I hvilken grad har vi nådd målene vi ble enige om i forrige samtale?",
                 "prompts": [
                     "Hva har bidratt til at vi har nådd målene?",
                     "Hva har gjort det vanskelig å nå dem?",
                 ]},
                {"text": "Hvilke av tiltakene vi avtalte, er gjennomført, og hvilke står igjen?",
                 "prompts": [
                     "Hva skal til for å fullføre det som står igjen?",
                     "Hvem bør ha ansvaret videre?",
                 ]},
                {"text": "Hvilke av målene som ikke er nådd, er fremdeles aktuelle for deg?",
                 "prompts": [
                     "Hva har endret seg siden forrige samtale?",
                     "Hvilke mål bør vi justere eller legge bort?",
                 ]},
                {"text": "Hvordan kan vi jobbe for å nå de målene som fortsatt er aktuelle?",
                 "prompts": [
                     "Hva trenger du fra meg som leder for å komme videre?",
                     "Hvilket første skritt kan du ta allerede nå?",
                 ]},
                {"text": "Hvordan har du opplevd oppfølgingen fra meg siden forrige samtale?",
                 "prompts": [
                     "Hva har vært nyttig i oppfølgingen?",
                     "Hva kunne jeg gjort annerledes mellom samtalene?",
                 ]},
                {"text": "Hva har vært det viktigste som har skjedd i jobben din siden sist?",
                 "prompts": [
                     "Hva er du mest fornøyd med fra det siste året?",
                     "Hva har vært mest krevende?",
                 ]},
            ],
        },
        {
            "name": "Mål og arbeidsoppgaver",
            "description": ("Vi ser på arbeidsoppgavene dine, forventningene til rollen og "
                            "målene for perioden som kommer."),
            "is_salary": False,
            "questions": [
                {"text": "Hvordan trives du med arbeidsoppgavene du har i dag?",
                 "prompts": [
                     "Hvilke oppgaver gir deg mest energi?",
                     "Hvilke oppgaver opplever du som minst meningsfulle?",
                 ]},
                {"text": ("Hvilke oppgaver ønsker du å jobbe mer med, og hvilke ønsker du å "
                          "jobbe mindre med?"),
                 "prompts": [
                     "Hva er det ved disse oppgavene som gjør dem viktige for deg?",
                     "Hvordan kan vi justere arbeidsdagen din i den retningen?",
                 ]},
                {"text": ("Hvordan opplever du sammenhengen mellom oppgavene dine og målene til "
                          "virksomheten?"),
                 "prompts": [
                     "Hvor tydelig er det for deg hva virksomheten vil oppnå?",
                     "Hvordan ser du ditt eget bidrag til de felles målene?",
                 ]},
                {"text": ("Hva opplever du at jeg som leder forventer av deg, og hvordan stemmer "
                          "det med dine egne forventninger?"),
                 "prompts": [
                     "Hvilke forventninger er uklare for deg?",
                     "Hvordan kan vi gjøre forventningene tydeligere?",
                 ]},
                {"text": "Hvilke mål vil du sette deg for perioden frem til neste samtale?",
                 "prompts": [
                     "Hvordan vil vi merke at du har nådd målet?",
                     "Hva trenger du for å lykkes?",
                 ]},
                {"text": "Hvilket ansvar ønsker du deg i tiden fremover?",
                 "prompts": [
                     "Hvilke nye faglige utfordringer frister deg?",
                     "Hvilke oppgaver kan du ta mer ansvar for allerede nå?",
                 ]},
            ],
        },
        {
            "name": "Opplæring og utvikling",
            "description": ("Vi snakker om hva du trenger å lære, og hvordan du kan utvikle deg "
                            "videre i jobben."),
            "is_salary": False,
            "questions": [
                {"text": "På hvilke områder har du behov for opplæring og utvikling?",
                 "prompts": [
                     "Hvilke oppgaver ville blitt lettere med mer kompetanse?",
                     "Hvilken form for opplæring passer best for deg?",
                 ]},
                {"text": ("På hvilke områder kjenner du tendens til stagnasjon, og hvor kjenner "
                          "du motivasjon til å utvikle deg videre?"),
                 "prompts": [
                     "Når merket du sist at du lærte noe nytt i jobben?",
                     "Hva skal til for at du får ny energi på dette området?",
                 ]},
                {"text": ("I hvilken grad opplever du at du er på rett plass i jobben din, og "
                          "hvilke endringer kjenner du eventuelt behov for?"),
                 "prompts": [
                     "Hva ville gjort jobben enda bedre tilpasset deg?",
                     "Hvilke endringer kunne du tenke deg på kort og på lang sikt?",
                 ]},
                {"text": "Hvilken kompetanse har du som du gjerne vil bruke mer i jobben?",
                 "prompts": [
                     "Hvilke oppgaver kunne passet for denne kompetansen?",
                     "Hvem på arbeidsplassen kunne hatt nytte av det du kan?",
                 ]},
                {"text": ("Hvilke kurs, videreutdanninger eller andre læringsmuligheter ønsker "
                          "du deg det neste året?"),
                 "prompts": [
                     "Hvordan kan det du lærer, komme arbeidsplassen til nytte?",
                     "Hvordan kan vi legge til rette for det i arbeidstiden?",
                 ]},
                {"text": "Hvordan kan du lære av kolleger og dele kunnskapen din med andre?",
                 "prompts": ["Hvem kunne du tenke deg å lære av?", "Hva kunne du selv lære bort?"]},
            ],
        },
        {
            "name": "Samarbeid med leder",
            "description": ("Vi ser på samarbeidet, kommunikasjonen og tilbakemeldingene mellom "
                            "deg og meg som leder."),
            "is_salary": False,
            "questions": [
                {"text": "Hvordan opplever du tilbakemeldingene og veiledningen du får fra meg?",
                 "prompts": [
                     "Hvilke tilbakemeldinger har vært mest nyttige for deg?",
                     "Hva savner du mer av?",
                 ]},
                {"text": ("Hvordan oppfatter du samarbeidet og kommunikasjonen mellom deg og meg "
                          "som leder?"),
                 "prompts": [
                     "Hva fungerer godt i samarbeidet vårt?",
                     "Hva kan vi gjøre for å kommunisere bedre?",
                 ]},
                {"text": "Hva trenger du fra meg som leder for å gjøre en god jobb?",
                 "prompts": [
                     "Hvilken støtte har du hatt mest nytte av til nå?",
                     "I hvilke situasjoner ønsker du at jeg er mer til stede?",
                 ]},
                {"text": ("Hvordan ønsker du å få tilbakemelding når noe går bra, og når noe kan "
                          "bli bedre?"),
                 "prompts": [
                     "Hvor ofte ønsker du tilbakemelding?",
                     "I hvilken form tar du best imot tilbakemelding?",
                 ]},
                {"text": ("Hvordan opplever du at du får være med på beslutninger som gjelder "
                          "din egen arbeidsplass?"),
                 "prompts": [
                     "I hvilke saker ønsker du å bli involvert tidligere?",
                     "Hvordan kan vi gjøre det lettere for deg å si fra?",
                 ]},
                {"text": ("Hva kan jeg som leder gjøre annerledes for at samarbeidet vårt skal "
                          "bli enda bedre?"),
                 "prompts": [
                     "Hva bør jeg fortsette med?",
                     "Hva bør jeg slutte med eller gjøre mindre av?",
                 ]},
            ],
        },
        {
            "name": "Samarbeid med kolleger og andre samarbeidspartnere",
            "description": ("Vi snakker om hvordan samarbeidet fungerer med kollegene dine og "
                            "med andre du jobber sammen med."),
            "is_salary": False,
            "questions": [
                {"text": ("Hvordan oppfatter du samarbeidet og kommunikasjonen mellom deg og "
                          "kollegene dine?"),
                 "prompts": [
                     "Hva fungerer særlig godt når dere samarbeider?",
                     "Hvor oppstår det oftest misforståelser?",
                 ]},
                {"text": ("Hvordan oppfatter du samarbeidet og kommunikasjonen med andre "
                          "samarbeidspartnere, internt og eksternt?"),
                 "prompts": [
                     "Hvilke samarbeidspartnere er viktigst for jobben din?",
                     "Hva kan gjøre samarbeidet med dem enklere?",
                 ]},
                {"text": "Hvordan bidrar du selv til et godt samarbeid i arbeidsgruppen?",
                 "prompts": [
                     "Hva tror du kollegene dine setter mest pris på hos deg?",
                     "Hvordan kan du bidra enda mer?",
                 ]},
                {"text": ("Hvordan deler du og kollegene dine informasjon og kunnskap med "
                          "hverandre?"),
                 "prompts": [
                     "Hvilken informasjon får du for sent eller ikke i det hele tatt?",
                     "Hvilke møteplasser fungerer godt for å dele kunnskap?",
                 ]},
                {"text": "Hvordan håndterer dere uenighet og konflikter i arbeidsgruppen?",
                 "prompts": [
                     "Hva hjelper dere å løse uenighet på en god måte?",
                     "Hva trenger du for å ta opp vanskelige ting med en kollega?",
                 ]},
            ],
        },
        {
            "name": "Vårt felles arbeidsmiljø",
            "description": ("Vi snakker om det psykososiale og det fysiske arbeidsmiljøet, og om "
                            "hva som gjør at du trives på jobb."),
            "is_salary": False,
            "questions": [
                {"text": "Hva tenker du skaper et godt arbeidsmiljø på vår arbeidsplass?",
                 "prompts": [
                     "Hva kjennetegner en god dag på jobben for deg?",
                     "Hva kan vi gjøre mer av sammen?",
                 ]},
                {"text": ("Hva er det med vår arbeidsplass som gjør at du har lyst til å dra på "
                          "jobb hver dag?"),
                 "prompts": [
                     "Hva ville du savnet mest om du sluttet her?",
                     "Hvordan kan vi ta vare på dette?",
                 ]},
                {"text": ("Hva tenker du er det viktigste vi får til sammen her på denne "
                          "arbeidsplassen?"),
                 "prompts": [
                     "Hvordan kan vi synliggjøre det vi får til?",
                     "Hvordan kan vi bygge videre på det?",
                 ]},
                {"text": "Hvordan bidrar du til et godt arbeidsmiljø?",
                 "prompts": [
                     "Hvilke små ting gjør du som betyr noe for andre?",
                     "Hva mer kunne du tenke deg å bidra med?",
                 ]},
                {"text": ("Hvordan opplever du de fysiske arbeidsforholdene, som utstyr, "
                          "hjelpemidler, lys, varme og støy?"),
                 "prompts": [
                     "Hvilket utstyr eller hvilke hjelpemidler mangler du?",
                     "Hva bør vi ta med oss til neste vernerunde?",
                 ]},
                {"text": ("Hva i arbeidsmiljøet bør vi ta tak i for at alle skal ha det bra på "
                          "jobb?"),
                 "prompts": [
                     "Hvilke utfordringer i samarbeidsklimaet bør løftes frem?",
                     "Hvilke tiltak tror du vil ha størst effekt?",
                 ]},
            ],
        },
        {
            "name": "Utviklingsområdene våre",
            "description": ("Vi ser på satsingsområdene våre og på hvilke utfordringer vi gir "
                            "oss selv og hverandre for det neste året."),
            "is_salary": False,
            "questions": [
                {"text": "Hvordan har det vært å jobbe med satsingsområdene våre?",
                 "prompts": [
                     "Hva har du fått til som du er stolt av?",
                     "Hva har vært vanskeligst å få til?",
                 ]},
                {"text": ("Hvilke utfordringer vil du gi deg selv for neste år dersom du skulle "
                          "sette fokus på et av områdene?"),
                 "prompts": [
                     "Hvilket område vil du velge, og hvorfor?",
                     "Hvordan vil du vite at du har lyktes?",
                 ]},
                {"text": ("Hvilke utfordringer vil du gi meg som leder i det videre arbeidet med "
                          "satsingsområdene våre?"),
                 "prompts": [
                     "Hva bør jeg prioritere høyere?",
                     "Hvordan kan jeg støtte arbeidet ditt bedre?",
                 ]},
                {"text": "Hvordan kan du bidra til at vi når målene for satsingsområdene våre?",
                 "prompts": [
                     "Hvilke av styrkene dine passer særlig godt her?",
                     "Hvem kunne du samarbeide med om dette?",
                 ]},
                {"text": "Hvilke nye satsingsområder mener du at vi bør vurdere fremover?",
                 "prompts": [
                     "Hva ser du som vi kanskje ikke har fått øye på?",
                     "Hva skal til for å komme i gang?",
                 ]},
            ],
        },
        {
            "name": "Faglig arbeidsmiljø",
            "description": ("Vi vurderer hvordan arbeidsplassen tar imot nye ideer, er "
                            "organisert og bruker kompetansen vi har."),
            "is_salary": False,
            "questions": [
                {"text": ("Hvordan synes du arbeidsplassen evner å tenke nytt når det gjelder "
                          "nye forslag og ideer?"),
                 "prompts": [
                     "Hva skjer med forslagene du kommer med?",
                     "Hvordan kan vi gjøre det lettere å komme med nye ideer?",
                 ]},
                {"text": ("Hvordan synes du arbeidsplassen evner å tenke nytt når det gjelder "
                          "nye driftsmåter?"),
                 "prompts": [
                     "Hvilke arbeidsmåter bør vi prøve ut?",
                     "Hvilke rutiner tror du har gått ut på dato?",
                 ]},
                {"text": ("Hva mener du om måten arbeidsplassen er organisert på når det gjelder "
                          "arbeidsfordeling og at alle vet hvem som skal gjøre hva?"),
                 "prompts": [
                     "Hvor oppstår det uklarhet om ansvar?",
                     "Hvordan kan vi gjøre arbeidsfordelingen tydeligere?",
                 ]},
                {"text": "Hvordan opplever du at kompetansen på arbeidsplassen blir benyttet?",
                 "prompts": [
                     "Hvilken kompetanse blir ikke brukt godt nok i dag?",
                     "Hvordan kan vi bruke hverandres kompetanse bedre?",
                 ]},
                {"text": ("Hvordan opplever du det faglige miljøet og muligheten til å diskutere "
                          "fag med kolleger?"),
                 "prompts": [
                     "Hvilke faglige diskusjoner savner du?",
                     "Hvordan kan vi skape mer rom for faglig refleksjon?",
                 ]},
            ],
        },
        {
            "name": "Arbeidsmengde og ressurser",
            "description": ("Vi ser på om arbeidsmengden passer stillingen, og om du har det du "
                            "trenger for å gjøre en god jobb."),
            "is_salary": False,
            "questions": [
                {"text": "Hvordan opplever du arbeidsmengden din i forhold til stillingen du har?",
                 "prompts": [
                     "I hvilke perioder er arbeidsmengden størst?",
                     "Hva gjør du når det blir for mye?",
                 ]},
                {"text": "Hvilke ressurser trenger du for å gjøre en god jobb?",
                 "prompts": [
                     "Hva mangler du i dag av tid, verktøy eller informasjon?",
                     "Hvordan kan vi skaffe det som mangler?",
                 ]},
                {"text": "Hvordan opplever du balansen mellom variasjon og rutine i arbeidsdagen?",
                 "prompts": [
                     "Hvilke oppgaver gir deg variasjon?",
                     "Hvor kunne du tenke deg mer variasjon?",
                 ]},
                {"text": "Hvordan prioriterer du når det er mer å gjøre enn tiden tillater?",
                 "prompts": [
                     "Hvilken hjelp trenger du fra meg for å prioritere?",
                     "Hvilke oppgaver kan vente eller gjøres enklere?",
                 ]},
                {"text": "Hva i arbeidsdagen stjeler tid og energi som kunne vært brukt bedre?",
                 "prompts": [
                     "Hvilke avbrytelser eller møter kunne vært unngått?",
                     "Hvordan kan strukturen i arbeidsdagen bli bedre?",
                 ]},
                {"text": ("Hvordan henger jobben og livet ellers sammen for deg nå, i den grad "
                          "du ønsker å dele det?"),
                 "prompts": [
                     "Hva kan gjøre det lettere å kombinere jobb og privatliv?",
                     "Hvilken tilrettelegging kunne vært til hjelp?",
                 ]},
            ],
        },
        {
            "name": "Karriere og veien videre",
            "description": ("Vi ser på hvor du ønsker å være om noen år, og hvordan "
                            "arbeidsplassen kan støtte deg på veien."),
            "is_salary": False,
            "questions": [
                {"text": "Hvor ser du deg selv i arbeidslivet om tre til fem år?",
                 "prompts": [
                     "Hva må til for at du skal komme dit?",
                     "Hvordan kan arbeidsplassen vår være en del av den veien?",
                 ]},
                {"text": "Hvilke drømmer og ønsker har du for din egen utvikling i jobben?",
                 "prompts": [
                     "Hva ville du gjort om du fikk velge helt fritt?",
                     "Hvilket lite skritt kan ta deg nærmere?",
                 ]},
                {"text": "Hvilke nye roller eller ansvarsområder kunne du tenke deg å prøve?",
                 "prompts": [
                     "Hva tror du selv at du ville vært god til?",
                     "Hvordan kan du få prøve deg på dette?",
                 ]},
                {"text": ("Hva motiverer deg mest i jobben nå, og hvordan har det endret seg "
                          "over tid?"),
                 "prompts": [
                     "Hva motiverte deg da du begynte her?",
                     "Hva skal til for at du fortsatt er motivert om noen år?",
                 ]},
                {"text": "Hvilken støtte trenger du fra meg for å komme videre i karrieren?",
                 "prompts": [
                     "Hvilke personer eller nettverk kunne vært nyttige for deg?",
                     "Hvilke avtaler bør vi gjøre om dette i dag?",
                 ]},
            ],
        },
        {
            "name": "Lønn og betingelser",
            "description": ("Til slutt ser vi på om lønn og betingelser samsvarer med innsats og "
                            "ansvar; temaet kan også tas i et eget møte."),
            "is_salary": True,
            "questions": [
                {"text": ("Hvordan opplever du at lønn og betingelser samsvarer med innsatsen og "
                          "ansvarsområdet ditt?"),
                 "prompts": [
                     "Hvilke endringer i ansvar bør vi ta hensyn til?",
                     "Hva legger du mest vekt på når du vurderer dette?",
                 ]},
                {"text": ("Hvordan har arbeidsoppgavene og ansvaret ditt endret seg siden lønn "
                          "og betingelser sist ble vurdert?"),
                 "prompts": [
                     "Hvilke nye oppgaver har kommet til?",
                     "Hvilket ansvar har du tatt på deg utover stillingsbeskrivelsen?",
                 ]},
                {"text": ("Hvilke andre betingelser enn lønn er viktige for deg, som arbeidstid, "
                          "fleksibilitet eller permisjoner?"),
                 "prompts": [
                     "Hvilke ordninger ville gjort hverdagen din enklere?",
                     "Hva betyr mest for deg akkurat nå?",
                 ]},
                {"text": ("Hvordan ønsker du at vi tar opp spørsmål om lønn: i denne samtalen "
                          "eller i et eget møte?"),
                 "prompts": [
                     "Hva vil du forberede til et eventuelt eget møte?",
                     "Hvilke opplysninger trenger du fra meg på forhånd?",
                 ]},
            ],
        },
    ],
}


LOFT = {
    "key": "loft",
    "name": "LØFT (løsningsfokusert)",
    "description": ("Et løsningsfokusert spørsmålssett som bygger på det som fungerer, og på små "
                    "skritt mot en ønsket fremtid."),
    "themes": [
        {
            "name": "Det som fungerer",
            "description": ("Vi begynner med det som allerede fungerer, og med ressursene du og "
                            "arbeidsplassen har."),
            "is_salary": False,
            "questions": [
                {"text": "Hva fungerer godt i jobben din akkurat nå?",
                 "prompts": [
                     "Hva gjør du som bidrar til at det fungerer?",
                     "Hvordan kan vi gjøre mer av det?",
                 ]},
                {"text": "Hva har du fått til det siste året som du er fornøyd med?",
                 "prompts": ["Hvordan klarte du det?", "Hvem andre la merke til det?"]},
                {"text": "Hvilke styrker og ressurser bruker du mest i jobben?",
                 "prompts": [
                     "Hva ville kollegene dine sagt at du er god til?",
                     "Hvor kunne du brukt disse styrkene enda mer?",
                 ]},
                {"text": "Hva fungerer godt i samarbeidet med kollegene dine og med meg som leder?",
                 "prompts": [
                     "Hva gjør vi da som vi bør fortsette med?",
                     "Når merket du sist at samarbeidet var særlig godt?",
                 ]},
                {"text": ("Når fungerer det allerede litt bedre i de situasjonene som kan være "
                          "krevende?"),
                 "prompts": ["Hva er annerledes de gangene?", "Hva gjorde du da som hjalp?"]},
            ],
        },
        {
            "name": "Ønsket fremtid",
            "description": ("Vi beskriver sammen hvordan arbeidshverdagen ser ut når det går "
                            "slik du ønsker."),
            "is_salary": False,
            "questions": [
                {"text": ("Tenk deg at det er gått ett år, og at det har gått riktig bra: Hva er "
                          "annerledes da?"),
                 "prompts": [
                     "Hva er det første du legger merke til?",
                     "Hvem andre ville merket forskjellen?",
                 ]},
                {"text": "Hvordan ser en riktig god arbeidsdag ut for deg?",
                 "prompts": [
                     "Hva gjør du på en slik dag?",
                     "Hvor mye av dette har du allerede i dag?",
                 ]},
                {"text": "Hva ønsker du at kollegene dine skal si om samarbeidet med deg om et år?",
                 "prompts": [
                     "Hva gjør du da som du ikke gjør i dag?",
                     "Hva vil være det første tegnet på at du er på vei dit?",
                 ]},
                {"text": "Hvilke ønsker og drømmer har du for utviklingen din i jobben?",
                 "prompts": [
                     "Hva ville gjort deg stolt om et år?",
                     "Hvilken kompetanse har du fått da?",
                 ]},
                {"text": "Hva håper du at denne samtalen skal bidra til?",
                 "prompts": [
                     "Hva må skje i dag for at samtalen skal ha vært nyttig for deg?",
                     "Hvordan vil du merke det etterpå?",
                 ]},
            ],
        },
        {
            "name": "Skalering og fremgang",
            "description": ("Vi bruker skalaer for å se hvor vi står, hva som allerede er på "
                            "plass, og hva som har gitt fremgang."),
            "is_salary": False,
            "questions": [
                {"text": ("På en skala fra 1 til 10, der 10 er at jobben er slik du ønsker den, "
                          "hvor er du i dag?"),
                 "prompts": [
                     "Hva gjør at du er der og ikke lavere?",
                     "Hva vil være annerledes når du er ett trinn høyere?",
                 ]},
                {"text": ("På en skala fra 1 til 10, hvor godt trives du i arbeidsmiljøet vårt i "
                          "dag?"),
                 "prompts": [
                     "Hva er allerede på plass?",
                     "Hva skal til for å komme ett trinn opp?",
                 ]},
                {"text": ("På en skala fra 1 til 10, hvor godt opplever du at kompetansen din "
                          "blir brukt?"),
                 "prompts": [
                     "Når blir kompetansen din brukt på sitt beste?",
                     "Hva ville vært et lite tegn på fremgang?",
                 ]},
                {"text": "På en skala fra 1 til 10, hvor godt passer arbeidsmengden din nå?",
                 "prompts": [
                     "Når var arbeidsmengden sist litt bedre tilpasset?",
                     "Hva var annerledes da?",
                 ]},
                {"text": ("Hvilken fremgang har du sett siden forrige samtale, selv om den er "
                          "liten?"),
                 "prompts": [
                     "Hva gjorde du som bidro til fremgangen?",
                     "Hvem har hjulpet deg på veien?",
                 ]},
                {"text": ("Hvilket tall på skalaen ville vært godt nok for deg frem til neste "
                          "samtale?"),
                 "prompts": [
                     "Hvordan vil du merke at du er der?",
                     "Hva kan hjelpe deg å holde deg der?",
                 ]},
            ],
        },
        {
            "name": "Neste skritt",
            "description": ("Vi blir enige om små, konkrete skritt videre, hvem som har "
                            "ansvaret, og når vi følger dem opp."),
            "is_salary": False,
            "questions": [
                {"text": ("Hva er det minste skrittet du kan ta den neste uken som vil gjøre en "
                          "forskjell?"),
                 "prompts": [
                     "Hva trenger du for å ta dette skrittet?",
                     "Hvordan vil du merke at det hjalp?",
                 ]},
                {"text": "Hva kan jeg som leder gjøre for å støtte deg i de neste skrittene?",
                 "prompts": [
                     "Hvilken støtte har hjulpet deg tidligere?",
                     "Hvor ofte ønsker du at vi følger opp?",
                 ]},
                {"text": "Hva vil du fortsette med fordi det allerede virker?",
                 "prompts": [
                     "Hvordan kan vi sikre at det ikke forsvinner i en travel hverdag?",
                     "Hvem andre kan ha nytte av det du gjør?",
                 ]},
                {"text": "Hvilke tiltak skal vi bli enige om, og hvem har ansvaret for hva?",
                 "prompts": [
                     "Hvilken frist er realistisk for hvert tiltak?",
                     "Hvordan henger tiltakene sammen med målene dine?",
                 ]},
                {"text": "Hvordan vil du vite at vi er på rett vei når vi møtes neste gang?",
                 "prompts": [
                     "Hva vil du fortelle meg at du har fått til?",
                     "Hva ønsker du at vi ser tilbake på da?",
                 ]},
            ],
        },
        {
            "name": "Lønn og betingelser",
            "description": ("Til slutt ser vi på lønn og betingelser, som også kan tas i et eget "
                            "møte."),
            "is_salary": True,
            "questions": [
                {"text": "Hva fungerer godt for deg i dagens lønn og betingelser?",
                 "prompts": [
                     "Hvilke ordninger setter du mest pris på?",
                     "Hva vil du at vi tar vare på?",
                 ]},
                {"text": ("På en skala fra 1 til 10, hvor godt samsvarer betingelsene dine med "
                          "innsatsen og ansvaret ditt?"),
                 "prompts": [
                     "Hva gjør at du ligger på det tallet og ikke lavere?",
                     "Hva ville flyttet deg ett trinn opp?",
                 ]},
                {"text": ("Hva ville være et første lite skritt for at betingelsene skal passe "
                          "enda bedre?"),
                 "prompts": [
                     "Hvilke opplysninger trenger vi for å vurdere dette?",
                     ("Hvordan ønsker du at vi følger dette opp: i denne samtalen eller i et "
                      "eget møte?"),
                 ]},
            ],
        },
    ],
}

QUESTION_SETS = [STANDARD, LOFT]
