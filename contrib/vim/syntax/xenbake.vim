" SPDX-License-Identifier: MIT
" Vim syntax file
" Language:	xenbake configuration (*.xb), see xenbake.xb(5)
if exists("b:current_syntax")
  finish
endif

" matches, not keywords: '-' is no keyword character, so the keyword "vm"
" would win inside "vm-data"; a word next to a '-' is part of a longer one
syn match   xbTopLevel	"-\@<!\<\(let\|include\|owner\)\>-\@!"
syn match   xbClass	"-\@<!\<\(vm\|sr\|network\|pif\|pool\)\>-\@!"
syn match   xbSelector	"-\@<!\<\(uuid\|host\|optional\|vlan\|match\|once\)\>-\@!"
" language version 2: loops, templates, file and secret values
syn match   xbRepeat	"-\@<!\<\(for\|in\)\>-\@!"
syn match   xbTemplate	"-\@<!\<\(template\|use\)\>-\@!"
syn match   xbFile	"-\@<!\<\(file\|secret\|sealed\)\>-\@!"
syn match   xbRange	"\<\d\+\.\.\d\+\>"
syn match   xbStatement	"\<\(vm-data\|xenstore-data\|other-config\|hide-from-xencenter\|name-label\|i18n-key\|name-description\|tag\)\>"
syn match   xbI18nKey	"\<ebs\>\|\<local-hotplug-cd\>\|\<local-hotplug-disk\>\|\<local-storage\>\|\<xenserver-tools\>"
syn match   xbComment	"#.*$" contains=xbTodo
syn keyword xbTodo	contained TODO FIXME XXX
syn match   xbEscape	contained "\\[\"\\nt]\|\\x\x\x"
syn match   xbInterp	contained "\${[A-Za-z_][A-Za-z0-9_-]*}\|\$\$"
syn region  xbString	start=+"+ skip=+\\\\\|\\"+ end=+"+ contains=xbEscape,xbInterp

hi def link xbTopLevel	Include
hi def link xbRepeat	Repeat
hi def link xbTemplate	Macro
hi def link xbFile	Include
hi def link xbRange	Number
hi def link xbClass	Structure
hi def link xbSelector	StorageClass
hi def link xbStatement	Keyword
hi def link xbI18nKey	Constant
hi def link xbComment	Comment
hi def link xbTodo	Todo
hi def link xbEscape	SpecialChar
hi def link xbInterp	Identifier
hi def link xbString	String

let b:current_syntax = "xenbake"
