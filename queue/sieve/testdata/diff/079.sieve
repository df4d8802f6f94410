# 079: address inside a group, display name form, domain case
require "fileinto";
if address :domain :is "cc" "example.com" { fileinto "Dom"; }
if address :localpart :is "cc" "ben" { fileinto "Ben"; }
