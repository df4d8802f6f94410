# 030: anyof one true
require "fileinto";
if anyof (false, header :is "subject" "Meeting on Tuesday") { fileinto "Any"; }
