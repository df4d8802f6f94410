# 032: not of anyof
require "fileinto";
if not anyof (false, false) { fileinto "NotAny"; }
