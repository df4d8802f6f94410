# 025: nested if
require "fileinto";
if address :domain "from" "example.net" {
  if header :contains "subject" "Meeting" {
    if not exists "x-nothing" { fileinto "Deep"; }
  } else { fileinto "Shallow"; }
}
