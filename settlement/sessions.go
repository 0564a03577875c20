package settlement

// signIn opens an operator session (9001); its sign_no travels in later
// headers.
func (p processor) signIn() (Outcome, Changes, error) {
	s := p.req.Session
	if s == nil {
		return none, noChanges, Errorf(CodeMissingField, "input.signIn")
	}
	sess := Session{SignNo: p.st.id("SN", p.hosp.Admdvs), Hospital: p.hosp.Code, Operator: s.OpterNo, SignTime: p.st.DateTime()}
	return Outcome{Session: &sess}, Changes{Session: &sess}, nil
}

// signOut closes a session (9002).
func (p processor) signOut() (Outcome, Changes, error) {
	s := p.req.Session
	if s == nil {
		return none, noChanges, Errorf(CodeMissingField, "input.signOut")
	}
	sess, ok, err := p.v.Session(s.SignNo)
	if err != nil {
		return none, noChanges, err
	}
	if !ok || sess.Hospital != p.hosp.Code || sess.Out != "" {
		return none, noChanges, Errorf(CodeBadSignNo, s.SignNo)
	}
	sess.Out = p.st.DateTime()
	return Outcome{Session: &sess}, Changes{Session: &sess}, nil
}

// checkSession refuses a sign_no that is unknown, another hospital's or
// signed out.
func (p processor) checkSession(signNo string) error {
	sess, ok, err := p.v.Session(signNo)
	if err != nil {
		return err
	}
	if !ok || sess.Hospital != p.hosp.Code || sess.Out != "" {
		return Errorf(CodeBadSignNo, signNo)
	}
	return nil
}
