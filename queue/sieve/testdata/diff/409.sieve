# 409: comparator name is case-insensitive
require "fileinto";
if header :is :comparator "I;OCTET" "subject" "Meeting on Tuesday" { fileinto "Octet"; }
