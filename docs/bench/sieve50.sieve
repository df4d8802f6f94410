require ["fileinto", "imap4flags", "envelope", "mailbox", "subaddress", "relational", "comparator-i;ascii-numeric"];
if header :contains "subject" "project-0" {
  fileinto :create "Rules/R0";
}
if address :domain :is "from" "partner1.example" {
  addflag "$rule1"; fileinto "Rules/R1";
}
if header :is "list-id" "<list2.lists.example>" {
  fileinto :flags "\\Flagged" "Rules/R2"; stop;
}
if envelope :localpart :is "from" "robot3" {
  fileinto :create "Rules/R3";
}
if anyof (header :contains "x-mailer" "bulkmailer4", address :is "to" "team4@b.test") {
  addflag "$rule4"; fileinto "Rules/R4";
}
if allof (exists "x-priority", header :value "ge" :comparator "i;ascii-numeric" "x-priority" "6") {
  fileinto :flags "\\Flagged" "Rules/R5"; stop;
}
if header :matches "subject" "*[ticket-6]*" {
  fileinto :create "Rules/R6";
}
if address :all :contains ["to", "cc"] "group7@" {
  addflag "$rule7"; fileinto "Rules/R7";
}
if size :over 38M {
  fileinto :flags "\\Flagged" "Rules/R8"; stop;
}
if not address :domain :is "from" ["a.test", "b.test", "c9.example"] {
  fileinto :create "Rules/R9";
}
if header :contains "subject" "project-10" {
  addflag "$rule10"; fileinto "Rules/R10";
}
if address :domain :is "from" "partner11.example" {
  fileinto :flags "\\Flagged" "Rules/R11"; stop;
}
if header :is "list-id" "<list12.lists.example>" {
  fileinto :create "Rules/R12";
}
if envelope :localpart :is "from" "robot13" {
  addflag "$rule13"; fileinto "Rules/R13";
}
if anyof (header :contains "x-mailer" "bulkmailer14", address :is "to" "team14@b.test") {
  fileinto :flags "\\Flagged" "Rules/R14"; stop;
}
if allof (exists "x-priority", header :value "ge" :comparator "i;ascii-numeric" "x-priority" "6") {
  fileinto :create "Rules/R15";
}
if header :matches "subject" "*[ticket-16]*" {
  addflag "$rule16"; fileinto "Rules/R16";
}
if address :all :contains ["to", "cc"] "group17@" {
  fileinto :flags "\\Flagged" "Rules/R17"; stop;
}
if size :over 48M {
  fileinto :create "Rules/R18";
}
if not address :domain :is "from" ["a.test", "b.test", "c19.example"] {
  addflag "$rule19"; fileinto "Rules/R19";
}
if header :contains "subject" "project-20" {
  fileinto :flags "\\Flagged" "Rules/R20"; stop;
}
if address :domain :is "from" "partner21.example" {
  fileinto :create "Rules/R21";
}
if header :is "list-id" "<list22.lists.example>" {
  addflag "$rule22"; fileinto "Rules/R22";
}
if envelope :localpart :is "from" "robot23" {
  fileinto :flags "\\Flagged" "Rules/R23"; stop;
}
if anyof (header :contains "x-mailer" "bulkmailer24", address :is "to" "team24@b.test") {
  fileinto :create "Rules/R24";
}
if allof (exists "x-priority", header :value "ge" :comparator "i;ascii-numeric" "x-priority" "6") {
  addflag "$rule25"; fileinto "Rules/R25";
}
if header :matches "subject" "*[ticket-26]*" {
  fileinto :flags "\\Flagged" "Rules/R26"; stop;
}
if address :all :contains ["to", "cc"] "group27@" {
  fileinto :create "Rules/R27";
}
if size :over 58M {
  addflag "$rule28"; fileinto "Rules/R28";
}
if not address :domain :is "from" ["a.test", "b.test", "c29.example"] {
  fileinto :flags "\\Flagged" "Rules/R29"; stop;
}
if header :contains "subject" "project-30" {
  fileinto :create "Rules/R30";
}
if address :domain :is "from" "partner31.example" {
  addflag "$rule31"; fileinto "Rules/R31";
}
if header :is "list-id" "<list32.lists.example>" {
  fileinto :flags "\\Flagged" "Rules/R32"; stop;
}
if envelope :localpart :is "from" "robot33" {
  fileinto :create "Rules/R33";
}
if anyof (header :contains "x-mailer" "bulkmailer34", address :is "to" "team34@b.test") {
  addflag "$rule34"; fileinto "Rules/R34";
}
if allof (exists "x-priority", header :value "ge" :comparator "i;ascii-numeric" "x-priority" "6") {
  fileinto :flags "\\Flagged" "Rules/R35"; stop;
}
if header :matches "subject" "*[ticket-36]*" {
  fileinto :create "Rules/R36";
}
if address :all :contains ["to", "cc"] "group37@" {
  addflag "$rule37"; fileinto "Rules/R37";
}
if size :over 68M {
  fileinto :flags "\\Flagged" "Rules/R38"; stop;
}
if not address :domain :is "from" ["a.test", "b.test", "c39.example"] {
  fileinto :create "Rules/R39";
}
if header :contains "subject" "project-40" {
  addflag "$rule40"; fileinto "Rules/R40";
}
if address :domain :is "from" "partner41.example" {
  fileinto :flags "\\Flagged" "Rules/R41"; stop;
}
if header :is "list-id" "<list42.lists.example>" {
  fileinto :create "Rules/R42";
}
if envelope :localpart :is "from" "robot43" {
  addflag "$rule43"; fileinto "Rules/R43";
}
if anyof (header :contains "x-mailer" "bulkmailer44", address :is "to" "team44@b.test") {
  fileinto :flags "\\Flagged" "Rules/R44"; stop;
}
if allof (exists "x-priority", header :value "ge" :comparator "i;ascii-numeric" "x-priority" "6") {
  fileinto :create "Rules/R45";
}
if header :matches "subject" "*[ticket-46]*" {
  addflag "$rule46"; fileinto "Rules/R46";
}
if address :all :contains ["to", "cc"] "group47@" {
  fileinto :flags "\\Flagged" "Rules/R47"; stop;
}
if size :over 78M {
  fileinto :create "Rules/R48";
}
if not address :domain :is "from" ["a.test", "b.test", "c49.example"] {
  addflag "$rule49"; fileinto "Rules/R49";
}
