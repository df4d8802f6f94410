# 033: nested allof anyof not
require "fileinto";
if allof (anyof (false, not false), not allof (true, false), not not true) { fileinto "Mix"; }
